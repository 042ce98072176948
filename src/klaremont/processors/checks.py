"""Live checks of the register, one per clause (IS-SENS-PCI3P, DP-TRANSFER, DP-LAW). Without
a database (the policy trace run from settings alone) each says so and holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.policy.live import CheckResult, LiveContext, live_check, with_database
from klaremont.policy.model import DataCategory
from klaremont.processors import ropa, service, support
from klaremont.processors.share import aoc_problem, safeguard_of
from klaremont.transfers import HOME, assess

if TYPE_CHECKING:
    from collections.abc import Callable

    from klaremont.platform import UnitOfWork

NO_DATABASE = "processor register not inspected (no database in this context)"


def _run(ctx: LiveContext, check: Callable[[UnitOfWork], CheckResult]) -> CheckResult:
    return with_database(ctx, check, without=NO_DATABASE)


def _names(found: list[str]) -> str:
    shown = "; ".join(found[:5])
    return shown + (f" and {len(found) - 5} more" if len(found) > 5 else "")  # noqa: PLR2004


@live_check(
    "IS-SENS-PCI3P",
    reads="every processor handling card data: its PCI DSS attestation of compliance and its "
    "expiry date against today",
)
def card_processors_hold_a_valid_attestation(ctx: LiveContext) -> CheckResult:
    """No card-data processor with a missing or expired PCI DSS attestation of compliance."""

    def check(uow: UnitOfWork) -> CheckResult:
        today = uow.clock.now().date()
        card = [p for p in service.processors(uow) if p.card_data]
        bad = [problem for p in card if (problem := aoc_problem(p, today)) is not None]
        if bad:
            return CheckResult(holds=False, detail=_names(bad))
        return CheckResult(
            holds=True, detail=f"{len(card)} card-data processor(s), each with a valid attestation"
        )

    return _run(ctx, check)


@live_check(
    "DP-TRANSFER",
    reads="every processor outside the UK: its country against UK adequacy, else its recorded "
    "safeguard and transfer risk assessment",
)
def every_transfer_has_adequacy_or_a_safeguard(ctx: LiveContext) -> CheckResult:
    """Every processor outside the UK has UK adequacy, or a recorded safeguard with a TRA."""

    def check(uow: UnitOfWork) -> CheckResult:
        today = uow.clock.now().date()
        abroad = [p for p in service.processors(uow) if p.country != HOME]
        bad: list[str] = []
        for processor in abroad:
            found = safeguard_of(processor)
            verdict = assess(
                uow.policy.transfers, processor.country, today, [found] if found else []
            )
            if not verdict.allowed:
                bad.append(f"{processor.name} ({processor.country}): missing {verdict.missing}")
        if bad:
            return CheckResult(holds=False, detail=_names(bad))
        return CheckResult(
            holds=True,
            detail=f"{len(abroad)} processor(s) outside the UK, each adequate or safeguarded",
        )

    return _run(ctx, check)


@live_check(
    "DP-LAW",
    reads="the record of processing's systems against every data category in the policy's "
    "retention schedule",
)
def the_record_of_processing_covers_every_category(ctx: LiveContext) -> CheckResult:
    """The record of processing (Art. 30) names every data category of the retention schedule."""

    def check(uow: UnitOfWork) -> CheckResult:
        scheduled = {category.value for category, _rule in uow.policy.retention.items()}
        missing = sorted(scheduled - ropa.covered_categories(uow))
        if missing:
            return CheckResult(
                holds=False,
                detail=f"the record of processing has no system for: {', '.join(missing)}",
            )
        return CheckResult(
            holds=True,
            detail=f"the record of processing covers all {len(DataCategory)} data categories",
        )

    return _run(ctx, check)


@live_check(
    "PP-SUPPORT",
    reads="every data share with a support partner: its deletion due date against today and the "
    "partner's confirmation",
)
def support_partners_confirm_deletion_on_time(ctx: LiveContext) -> CheckResult:
    """No support share is past its deletion due date without the partner's confirmation."""

    def check(uow: UnitOfWork) -> CheckResult:
        late = support.overdue(uow)
        if late:
            found = [f"{s.reference} (ticket {s.ticket}, due {s.due_on:%d/%m/%Y})" for s in late]
            return CheckResult(holds=False, detail="deletion not confirmed: " + _names(found))
        return CheckResult(
            holds=True, detail="no support share is past its deletion due date unconfirmed"
        )

    return _run(ctx, check)
