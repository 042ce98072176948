"""Connectors: rights that reach external SQL stores (access, portability, erasure)."""
