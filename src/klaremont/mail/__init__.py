"""Outgoing mail: a database outbox, templates that carry only a link or a code, an SMTP sender.

Personal data never travels in a mail body (IS-SENS-EMAIL): every message is built from a
:mod:`~klaremont.mail.templates` template whose only variables are a verification code, a
request reference or a link back to the signed-in privacy centre, and a guard refuses a
body that carries an e-mail address or a personal value anyway.
"""
