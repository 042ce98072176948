"""The customer privacy centre under ``/privacy``: server-rendered pages, no API surface.

The routes live in :mod:`klaremont.privacy.pages`; this module hands them to the app
factory, which discovers routers in ``klaremont.web.api`` only.
"""

from __future__ import annotations

from klaremont.privacy.pages import router

__all__ = ["router"]
