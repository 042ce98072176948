"""The privacy centre's page routes: adapters over the privacy, consent and rights services.

For the staff access rules every route here is ``public()``: customers authenticate with
their own session (:mod:`klaremont.privacy.signin`), never with a staff one.
"""

from __future__ import annotations

from fastapi import APIRouter

from klaremont.privacy.web import account, preferences, requests, verify

router = APIRouter(include_in_schema=False)
router.include_router(account.router)
router.include_router(preferences.router)
router.include_router(requests.router)
router.include_router(verify.router)
