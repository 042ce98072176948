"""Data subject rights: intake, identity, deadlines, fulfilment (access, portability, erasure,
rectification, restriction, objection) and the erasure ledger."""
