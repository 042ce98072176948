"""Connectors: API routes."""
