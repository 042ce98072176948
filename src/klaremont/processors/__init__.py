"""Processors, the record of processing (UK GDPR Art. 30) and recorded transfer safeguards."""
