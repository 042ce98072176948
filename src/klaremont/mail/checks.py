"""Live checks of outgoing mail: does IS-SENS-EMAIL hold on this deployment now?

Every template must pass the personal-data guard; production mail to a remote server must
use STARTTLS; the outbox must keep no body of a message once it is sent or abandoned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import func, select

from klaremont.errors import KlaremontError
from klaremont.mail.config import MailSettings
from klaremont.mail.models import MailStatus, OutboxMessage
from klaremont.mail.templates import (
    DownloadReady,
    Mail,
    RequestPaused,
    RequestReceived,
    RequestResumed,
    RequestUpdated,
    VerificationCode,
    check_body,
)
from klaremont.policy.live import CheckResult, LiveContext, live_check

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

SAMPLES: tuple[Mail, ...] = (
    VerificationCode(code="12345678", valid_minutes=60),
    RequestReceived(reference="DSR-ABCD2345"),
    RequestUpdated(reference="DSR-ABCD2345"),
    RequestPaused(reference="DSR-ABCD2345", need="clarification"),
    RequestResumed(reference="DSR-ABCD2345"),
    DownloadReady(reference="DSR-ABCD2345", path="/privacy/requests/x/download?token=abc"),
)


def _template_problems(public_url: str) -> list[str]:
    found = []
    for mail in SAMPLES:
        rendered = mail.render(public_url)
        try:
            check_body(
                rendered.body, recipient="someone@example.com", safe_values=rendered.safe_values
            )
        except KlaremontError:
            found.append(rendered.template)
    return found


@live_check(
    "IS-SENS-EMAIL",
    reads="every email template against the personal-data guard, the mail settings, and sent or "
    "abandoned outbox messages for a kept body",
)
def mail_carries_no_personal_data(ctx: LiveContext) -> CheckResult:
    """Templates pass the guard, remote mail uses STARTTLS in production, sent bodies are gone."""
    failing = _template_problems(ctx.settings.public_url)
    if failing:
        return CheckResult(holds=False, detail=f"templates failing the guard: {failing}")
    try:
        problems = MailSettings().problems(production=ctx.settings.is_production)
    except ValidationError as exc:
        return CheckResult(
            holds=False, detail=f"mail settings invalid ({exc.error_count()} errors)"
        )
    if problems:
        return CheckResult(holds=False, detail="; ".join(problems))
    detail = "every template carries only a code, a reference or a privacy-centre link"
    unit_of_work: Any = getattr(ctx, "unit_of_work", None)
    if unit_of_work is None:
        return CheckResult.unknown_because(
            f"{detail}; outbox not inspected (no database in this context)"
        )
    with unit_of_work() as uow:
        return _outbox(uow, detail)


def _outbox(uow: UnitOfWork, detail: str) -> CheckResult:
    table = OutboxMessage.__table__
    kept = uow.session.scalar(
        select(func.count())
        .select_from(table)
        .where(table.c["status"] != MailStatus.PENDING.value, table.c["body"].is_not(None))
    )
    if kept:
        return CheckResult(holds=False, detail=f"{kept} sent or abandoned messages keep their body")
    return CheckResult(holds=True, detail=f"{detail}; no body kept after sending")
