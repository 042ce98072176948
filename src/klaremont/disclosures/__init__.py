"""Disclosures of personal data to third parties, and telling recipients (Art. 19)."""
