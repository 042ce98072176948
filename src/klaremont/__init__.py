"""Klaremont: the retailer's privacy, data-protection and security policies as running controls."""

__version__ = "0.1.0"
