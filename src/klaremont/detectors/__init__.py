"""Detectors of sensitive data (card numbers, track data, CVVs), shared by the whole platform.

One PAN detector serves the card guard on every input, the audit log's and the logs'
redaction, and (later) the discovery scanner. This package is foundation: it imports no
capability.
"""
