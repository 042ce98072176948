"""Deterministic demo data: a realistic shop seeded on first start of the embedded platform."""
