"""Encrypted backups of both databases and restores that re-apply the erasure ledger."""
