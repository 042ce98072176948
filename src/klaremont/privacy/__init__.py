"""The customer privacy centre: sign-in, sessions, e-mail code checks, and its page routes.

Services (``signin``, ``verification``, ``centre``) never import FastAPI; the page
routes live in :mod:`klaremont.privacy.web` and are mounted by
:mod:`klaremont.web.api.privacy_centre`.
"""
