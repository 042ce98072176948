"""Backups of the embedded database and restores that re-apply the erasure ledger."""
