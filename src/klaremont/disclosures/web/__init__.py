"""Disclosures web adapters."""
