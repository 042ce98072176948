"""Retention: the schedule as data, the purge engine with its holds, and its ledger."""
