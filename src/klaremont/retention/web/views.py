"""What the retention pages show, in words people read: read through the services, drawn
from plain values (a form drawn again after its unit of work ended reads nothing lazily).

No target names, clause ids or raw codes reach a page: categories, events, periods and
actions are put in words (:mod:`klaremont.retention.words`); the only ids shown are the
rows' pseudonymous ids, in a disclosure labelled as such.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from klaremont.errors import KlaremontError, NotFound, ValidationFailed
from klaremont.policy.model import DataCategory
from klaremont.retention import engine, ledger, litigation, runs
from klaremont.retention.models import RetentionRun
from klaremont.retention.permissions import RetentionPermission
from klaremont.retention.schedule import schedule
from klaremont.retention.words import CATEGORY_WORDS, EVENT_WORDS, action_words, period_words
from klaremont.retention_targets import all_targets, by_name
from klaremont.web.render import render

if TYPE_CHECKING:
    from fastapi.responses import HTMLResponse

    from klaremont.platform import UnitOfWork
    from klaremont.policy.model import PolicyFile
    from klaremont.retention.models import LitigationHold
    from klaremont.staff.web.principal import StaffPrincipal
    from klaremont.web.form_pages import PageStaff

    Staff = StaffPrincipal | PageStaff | None

SHOWN_IDS = 25  # pseudonymous ids listed per row on a page; the reports have them all
RUNS_SHOWN = 15
PREVIEWS_SHOWN = 5
PLACE_LABELS = {"customer": "Customer", "reason": "Why the data must be kept"}
LIFT_LABELS = {"reason": "Why the hold can be lifted"}
STATE_WORDS = {
    runs.DRY: "Preview (nothing changed)",
    runs.RUNNING: "Running",
    runs.FINISHED: "Finished",
    runs.FAILED: "Failed",
    runs.INTERRUPTED: "Stopped part way (the next run carried on)",
}
#: Categories carried out outside the retention run, in words.
ELSEWHERE = {DataCategory.AUDIT_LOG.value: "The nightly audit archive"}
NOT_AUTOMATIC = "Not yet carried out automatically"
_REFERENCE = re.compile(r"[A-Z]{1,2}-\d{4}-\d{4,8}")
_LEGAL = re.compile(r"legal hold: ((?:\d+[ymd])+) \((.*)\)", re.DOTALL)
_PERIOD = re.compile(r"(?:\d+[ymd])+")


def said(exc: KlaremontError, labels: dict[str, str]) -> str:
    """A service refusal in words; bad input names each form field by its label."""
    if exc.problems and isinstance(exc, ValidationFailed):
        return "; ".join(
            f"{labels.get(p.field) or p.field.replace('_', ' ').capitalize()}: {p.rule}"
            for p in exc.problems
        )
    return exc.detail


def reference_of(text: str, what: str) -> str:
    """A run or hold reference as typed in an address (``NotFound`` for anything else)."""
    wanted = text.strip().upper()
    if not _REFERENCE.fullmatch(wanted):
        raise NotFound(f"no {what} {text.strip()[:20]}")
    return wanted


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def kept_words(holder: str) -> str:
    """What kept rows, in words (``legal hold: 6y (basis)`` -> the law's six years)."""
    found = _LEGAL.fullmatch(holder)
    if found:
        return f"The law's minimum of {period_words(found.group(1))}: {found.group(2)}"
    return _capital(holder)


def _legal_words(text: str) -> str:
    """A schedule row's legal hold (``6y: basis``) in words."""
    period, _, basis = text.partition(": ")
    if _PERIOD.fullmatch(period):
        return f"At least {period_words(period)}: {basis}"
    return text


def _by_category() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for target in all_targets():
        found.setdefault(target.category.value, []).append(target.description)
    return found


def schedule_view(policy: PolicyFile) -> list[dict[str, Any]]:
    """The schedule, one row per data category, in words."""
    carried = _by_category()
    rows = []
    for row in schedule(policy):
        mine = carried.get(row.category)
        by = _capital("; ".join(mine)) if mine else ELSEWHERE.get(row.category, NOT_AUTOMATIC)
        rows.append(
            {
                "what": row.what,
                "by_run": bool(mine),
                "period": row.period_words,
                "after": _capital(row.after_words),
                "then": _capital(row.action_words),
                "why": row.justification,
                "law": [_legal_words(h) for h in row.legal_holds],
                "by": by,
            }
        )
    return rows


def _run_row(run: RetentionRun) -> dict[str, Any]:
    counts = _counts(run.counts)
    return {
        "reference": run.reference,
        "started": run.started_at,
        "by": run.started_by,
        "state": STATE_WORDS.get(run.status, _capital(run.status)),
        "rows": sum(counts.values()) if run.dry_run else run.rows,
        "keys_destroyed": run.keys_destroyed,
        "dry_run": run.dry_run,
    }


def _latest(uow: UnitOfWork, *, dry_run: bool, limit: int) -> list[dict[str, Any]]:
    query = (
        select(RetentionRun)
        .where(RetentionRun.dry_run.is_(dry_run))
        .order_by(RetentionRun.started_at.desc(), RetentionRun.reference.desc())
        .limit(limit)
    )
    return [_run_row(r) for r in uow.session.scalars(query)]


def hold_row(hold: LitigationHold) -> dict[str, Any]:
    """A litigation hold as plain values."""
    return {
        "reference": hold.reference,
        "customer": hold.customer_reference,
        "reason": hold.reason,
        "placed_by": hold.placed_by,
        "placed_at": hold.placed_at,
        "lifted_by": hold.lifted_by,
        "lifted_at": hold.lifted_at,
        "lift_reason": hold.lift_reason,
    }


def console_view(uow: UnitOfWork) -> dict[str, Any]:
    """The retention page's values: the schedule, the latest runs and previews, the holds."""
    return {
        "schedule": schedule_view(uow.policy),
        "runs": _latest(uow, dry_run=False, limit=RUNS_SHOWN),
        "previews": _latest(uow, dry_run=True, limit=PREVIEWS_SHOWN),
        "holds": [hold_row(h) for h in litigation.listing(uow)],
    }


def holds_view(uow: UnitOfWork) -> dict[str, Any]:
    """The litigation holds page's values: in force, then lifted."""
    every = [hold_row(h) for h in litigation.listing(uow, include_lifted=True)]
    return {
        "active": [h for h in every if h["lifted_at"] is None],
        "lifted": [h for h in every if h["lifted_at"] is not None],
    }


def hold_view(uow: UnitOfWork, reference: str) -> dict[str, Any]:
    """One litigation hold (``NotFound`` when there is none)."""
    wanted = reference_of(reference, "litigation hold")
    for hold in litigation.listing(uow, include_lifted=True):
        if hold.reference == wanted:
            return hold_row(hold)
    raise NotFound(f"no litigation hold {wanted}")


# --- results -----------------------------------------------------------------------------


def _rule_words(period: str, after: str, action: str) -> str:
    return (
        f"{period_words(period)} after {EVENT_WORDS.get(after, after)}, then {action_words(action)}"
    )


def _kept(kept: dict[str, int]) -> list[tuple[str, int]]:
    return [(kept_words(holder), n) for holder, n in sorted(kept.items())]


def _result_row(plan: engine.PlanResult, *, dry_run: bool) -> dict[str, Any]:
    category = CATEGORY_WORDS.get(plan.category, plan.category)
    description = _capital(plan.description)
    return {
        "category": category,
        "description": None if description.lower() == category.lower() else description,
        "rule": _capital(_rule_words(plan.period, plan.after, plan.action)),
        "due": plan.due,
        "done": None if dry_run else plan.done,
        "people": plan.people or None,
        "kept": _kept(plan.kept),
        "ids": plan.ids[:SHOWN_IDS],
        "ids_total": len(plan.ids),
    }


def _unplanned_words(unplanned: list[dict[str, str]]) -> list[str]:
    targets = by_name()
    found = []
    for item in unplanned:
        target = targets.get(item["target"])
        if target is None:
            continue
        found.append(
            f"{_capital(target.description)}: the schedule counts from an event these "
            "records do not date, so the rule is not applied to them"
        )
    return found


def _elsewhere_words(policy: PolicyFile, categories: list[str]) -> list[str]:
    by_row = {r.category: r for r in schedule(policy)}
    return [
        f"{by_row[c].what}: {ELSEWHERE.get(c, NOT_AUTOMATIC).lower()}"
        for c in categories
        if c in by_row
    ]


def report_view(policy: PolicyFile, report: engine.Report) -> dict[str, Any]:
    """A report the engine just made (a preview, or a run), in words."""
    rows = [_result_row(p, dry_run=report.dry_run) for p in report.plans]
    return {
        "reference": report.reference,
        "dry_run": report.dry_run,
        "at": datetime.fromisoformat(report.at),
        "state": STATE_WORDS[runs.DRY] if report.dry_run else STATE_WORDS[runs.FINISHED],
        "by": None,
        "total_due": report.total_due,
        "total_done": report.total_done,
        "kept_total": sum(n for r in rows for _, n in r["kept"]),
        "keys_destroyed": report.keys_destroyed,
        "batches": report.batches,
        "rows": rows,
        "has_people": any(r["people"] for r in rows),
        "has_ids": True,
        "unplanned": _unplanned_words(report.unplanned),
        "elsewhere": _elsewhere_words(policy, report.uncovered),
    }


def _counts(text: str) -> dict[str, int]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _kept_counts(text: str) -> dict[str, dict[str, int]]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(target): {str(k): int(v) for k, v in held.items()}
        for target, held in data.items()
        if isinstance(held, dict)
    }


def find_run(uow: UnitOfWork, reference: str) -> RetentionRun:
    """A run or preview by reference (``NotFound`` when there is none)."""
    wanted = reference_of(reference, "retention run")
    found = uow.session.scalars(
        select(RetentionRun).where(RetentionRun.reference == wanted)
    ).first()
    if found is None:
        raise NotFound(f"no retention run {wanted}")
    return found


def _ledger_ids(uow: UnitOfWork, reference: str) -> dict[str, list[str]]:
    """The pseudonymous ids a run's batches changed, by target (from the retention ledger)."""
    found: dict[str, list[str]] = {}
    for entry in ledger.read(ledger.ledger_file(uow.platform.settings)):
        if entry.run == reference and entry.target != ledger.KEYS:
            found.setdefault(entry.target, []).extend(entry.ids)
    return found


def stored_report(uow: UnitOfWork, run: RetentionRun) -> engine.Report:
    """A stored run's report: its counts and what holds kept as recorded, the ids from the
    ledger (a preview records counts only). The rule shown is the schedule's now; for a run,
    what was due is what it did (a run works until nothing due is left)."""
    counts = _counts(run.counts)
    kept = _kept_counts(run.kept)
    ids = {} if run.dry_run else _ledger_ids(uow, run.reference)
    targets = by_name()
    order = {name: i for i, name in enumerate(targets)}  # the order a run takes them
    plans = []
    for name in sorted(set(counts) | set(kept), key=lambda n: order.get(n, len(order))):
        target = targets.get(name)
        if target is None:
            continue
        rule = uow.policy.retention.rule(target.category)
        plans.append(
            engine.PlanResult(
                target=name,
                category=target.category.value,
                description=target.description,
                action=rule.action,
                after=rule.after,
                period=str(rule.period),
                due=counts.get(name, 0),
                done=0 if run.dry_run else counts.get(name, 0),
                ids=sorted(ids.get(name, [])),
                kept=kept.get(name, {}),
            )
        )
    return engine.Report(
        reference=run.reference,
        dry_run=run.dry_run,
        at=run.started_at.isoformat(timespec="seconds"),
        plans=plans,
        unplanned=[],
        uncovered=[],
        keys_destroyed=run.keys_destroyed,
        batches=run.batches,
    )


def run_view(uow: UnitOfWork, run: RetentionRun) -> dict[str, Any]:
    """A stored run's page values."""
    view = report_view(uow.policy, stored_report(uow, run))
    view.update(
        state=STATE_WORDS.get(run.status, _capital(run.status)),
        by=run.started_by,
        finished=run.finished_at,
        has_ids=not run.dry_run,
        failed=run.status == runs.FAILED,
    )
    return view


# --- drawing -----------------------------------------------------------------------------


def _permissions(staff: Staff) -> frozenset[str]:
    return frozenset(str(p) for p in staff.permissions) if staff is not None else frozenset()


def draw(
    template: str,
    staff: Staff,
    view: dict[str, Any] | None,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
    **more: Any,
) -> HTMLResponse:
    """Draw one retention page (``view`` ``None``: its forms alone, after a refusal)."""
    permissions = _permissions(staff)
    return render(
        f"staff/{template}",
        status_code=status_code,
        staff=staff,
        view=view,
        error=error,
        notice=notice,
        can_run=RetentionPermission.RETENTION_RUN.value in permissions,
        can_hold=RetentionPermission.RETENTION_HOLD.value in permissions,
        place_labels=PLACE_LABELS,
        lift_labels=LIFT_LABELS,
        shown_ids=SHOWN_IDS,
        **more,
    )
