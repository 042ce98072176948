"""Detectors shared by every layer: one definition of what counts as card data.

:mod:`klaremont.detectors.cards` finds card numbers and magnetic-stripe track data in any
text. The input guard, the audit-details redaction, the log redaction and the CLI all ask
it, so a spelling one of them recognises is recognised by all.
"""
