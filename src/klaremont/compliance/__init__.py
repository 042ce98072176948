"""The compliance view: every clause with its controls, tests, live status and history."""
