"""Live checks of the privacy centre: does PP-COOKIE hold on this deployment now?

Sessions and visitors' cookie choices must be stored by key digest only (the browser's
cookie holds the key, the server never does), and production must serve the centre over
HTTPS so the ``Secure`` cookies are sent at all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from klaremont.consent.models import CookieConsent
from klaremont.policy.live import CheckResult, LiveContext, live_check
from klaremont.privacy.models import CustomerSession

DIGEST_LENGTH = 64


@live_check(
    "PP-COOKIE",
    reads="the public address in production, and stored customer session and cookie-choice keys "
    "against the length of a digest",
)
def cookies_hold_keys_only(ctx: LiveContext) -> CheckResult:
    """Production is on HTTPS; stored session and choice keys are SHA-256 digests only."""
    settings = ctx.settings
    if settings.is_production and not settings.public_url.startswith("https://"):
        return CheckResult(holds=False, detail="production public URL is not HTTPS")
    detail = "cookies hold a random key only; the server keeps its SHA-256"
    unit_of_work: Any = getattr(ctx, "unit_of_work", None)
    if unit_of_work is None:
        return CheckResult.unknown_because(
            f"{detail}; stored keys not inspected (no database in this context)"
        )
    with unit_of_work() as uow:
        bad_sessions = uow.session.scalar(
            select(func.count()).where(func.length(CustomerSession.key_hash) != DIGEST_LENGTH)
        )
        bad_choices = uow.session.scalar(
            select(func.count()).where(
                CookieConsent.browser_key_hash.is_not(None),
                func.length(CookieConsent.browser_key_hash) != DIGEST_LENGTH,
            )
        )
    wrong = (bad_sessions or 0) + (bad_choices or 0)
    if wrong:
        return CheckResult(holds=False, detail=f"{wrong} stored keys are not digests")
    return CheckResult(holds=True, detail=detail)
