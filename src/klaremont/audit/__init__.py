"""Audit: event tags, the hash-chained log, signed checkpoints and verification.

Import from the submodules (``klaremont.audit.events``, ``klaremont.audit.log`` ...);
this package module stays empty so verifier worker processes start quickly.
"""
