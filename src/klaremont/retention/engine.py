"""The purge engine (PP-KEEP, DP-RETAIN, IS-SENS-DISPOSE): what is due, done in batches.

:func:`dry_run` says, per category and rule, what a run would do now: the rows due (by
pseudonymous id) and what each hold keeps. :func:`run` does it, target by target, in
batches: each batch is one transaction holding its deletes or updates, its line in the
ledger (:mod:`klaremont.retention.ledger`, written before the commit), the people it
queued for the shred check, its audit event and the run record's progress. A crash loses
at most the batch in flight; the next run marks the dead one interrupted and carries on,
and since "due" is read from the data, nothing is done twice. Held people are read once at
the start and left out of every batch. At the end, the data keys of people nothing
retained needs any more are destroyed (:mod:`klaremont.retention.shred`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from klaremont.audit.events import SYSTEM_ACTOR, Actor
from klaremont.db.engine import is_sqlite, truncate_wal
from klaremont.retention import apply as acts
from klaremont.retention import batches, ledger, runs, shred
from klaremont.retention import compact as compaction
from klaremont.retention.actions import RetentionAction
from klaremont.retention.models import RetentionRun, ShredQueue
from klaremont.retention.selection import (
    Holding,
    Plan,
    Unplanned,
    holding,
    kept,
    plans,
)
from klaremont.retention_targets import Target, all_targets

if TYPE_CHECKING:
    from klaremont.platform import Platform, UnitOfWork

DEFAULT_BATCH = 5000
MAX_BATCH = 50_000
#: ``progress(description, done, total)``: ``total`` is ``None`` (a run does not count its
#: rows first: that was a pass over every table as dear as a batch walk; see DESIGN-NOTES)
Progress = Callable[[str, int, int | None], None]


@dataclass
class PlanResult:
    """What one target under its rule had due, did and kept."""

    target: str
    category: str
    description: str
    action: str
    after: str
    period: str
    due: int = 0
    done: int = 0
    ids: list[str] = field(default_factory=list)
    people: int = 0
    kept: dict[str, int] = field(default_factory=dict)


@dataclass
class Report:
    """A run's (or a dry run's) account, for the command line, the console and the API."""

    reference: str
    dry_run: bool
    at: str
    plans: list[PlanResult]
    unplanned: list[dict[str, str]]
    uncovered: list[str]
    keys_destroyed: int = 0
    batches: int = 0
    resumed: list[str] = field(default_factory=list)
    compacted: list[str] = field(default_factory=list)  # tables rewritten (PostgreSQL)

    @property
    def total_due(self) -> int:
        """Rows due across every target."""
        return sum(p.due for p in self.plans)

    @property
    def total_done(self) -> int:
        """Rows changed across every target."""
        return sum(p.done for p in self.plans)

    def plans_by_target(self) -> dict[str, PlanResult]:
        """The results by target name."""
        return {p.target: p for p in self.plans}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "reference": self.reference,
            "dry_run": self.dry_run,
            "at": self.at,
            "total_due": self.total_due,
            "total_done": self.total_done,
            "keys_destroyed": self.keys_destroyed,
            "batches": self.batches,
            "resumed": self.resumed,
            "compacted": self.compacted,
            "plans": [vars(p) for p in self.plans],
            "unplanned": self.unplanned,
            "categories_without_targets": self.uncovered,
        }


def _pairs(counts: dict[str, int]) -> list[list[Any]]:
    """Counts for the audit log as ``[name, n]`` pairs: a target or category may be named
    like a secret ("account_password"), which the log refuses as a key but not as a value."""
    return [[name, n] for name, n in sorted(counts.items())]


def _result(plan: Plan) -> PlanResult:
    target = plan.target
    return PlanResult(
        target=target.name,
        category=target.category.value,
        description=target.description,
        action=plan.action,
        after=plan.rule.after,
        period=str(plan.rule.period),
    )


def _frame(uow: UnitOfWork) -> tuple[list[Plan], list[Unplanned], Holding, list[str]]:
    targets = all_targets()
    found, skipped = plans(uow.policy, uow.clock.now(), targets)
    covered = {t.category for t in targets}
    uncovered = [c.value for c, _ in uow.policy.retention.items() if c not in covered]
    return found, skipped, holding(uow), uncovered


def _skipped(skipped: list[Unplanned]) -> list[dict[str, str]]:
    return [{"target": u.target.name, "reason": u.reason} for u in skipped]


def _simulate(uow: UnitOfWork, plan: Plan, held: Holding) -> tuple[PlanResult, set[Any]]:
    """Do one plan in ``uow`` (rolled back by the caller), recording every row it touched."""
    result = _result(plan)
    people: set[Any] = set()
    stored = is_sqlite(uow.platform.engine)
    batches.no_jit(uow)
    after: Any = None
    while (
        made := batches.step(uow, plan, held.subjects, MAX_BATCH, after, stored=stored)
    ) is not None:
        after = made.cursor
        people.update(batches.as_uuids(made.people))
        result.ids.extend(ledger.key_text(i) for i in made.ids)
    result.ids.sort()
    result.due = len(result.ids)
    result.people = len(people)
    result.kept = kept(uow, plan, held)
    return result, people


def dry_run(platform: Platform, *, actor: Actor = SYSTEM_ACTOR) -> Report:
    """What a run would do now: the run itself, target by target in the same order, in one
    transaction that is then rolled back, so the preview and the run agree row for row (an
    order becomes due once its invoice has gone in the same run). Only the dry run's record
    and its audit event are kept. (On SQLite the preview holds the write lock while it works.)
    """
    with platform.unit_of_work(actor=actor) as uow:
        found, skipped, held, uncovered = _frame(uow)
        at = uow.clock.now().isoformat(timespec="seconds")
        results: list[PlanResult] = []
        touched: set[Any] = set()
        for plan in found:
            result, people = _simulate(uow, plan, held)
            results.append(result)
            if plan.target.sealed:
                touched.update(people)
        waiting = set(
            uow.session.scalars(
                select(ShredQueue.subject_id).where(ShredQueue.destroyed_at.is_(None))
            )
        )
        candidates = sorted((touched | waiting) - held.subjects, key=str)
        keys = len(candidates) - len(shred.still_needed(uow, _sealed(), candidates))
        uow.session.rollback()
    with platform.unit_of_work(actor=actor) as uow:
        record = runs.start(uow, dry_run=True)
        record.counts = runs.dumps({r.target: r.due for r in results})
        record.kept = runs.dumps({r.target: r.kept for r in results if r.kept})
        record.keys_destroyed = keys
        uow.audit(
            RetentionAction.DRY_RUN,
            resource=f"retention-run:{record.reference}",
            details={
                "reference": record.reference,
                "due": _pairs({r.target: r.due for r in results}),
                "keys": keys,
            },
        )
        reference = record.reference
    return Report(
        reference=reference,
        dry_run=True,
        at=at,
        plans=results,
        unplanned=_skipped(skipped),
        uncovered=uncovered,
        keys_destroyed=keys,
    )


@dataclass(frozen=True)
class _Job:
    """One run's fixed facts."""

    platform: Platform
    actor: Actor
    reference: str
    held: Holding
    size: int
    progress: Progress | None


def _batch(job: _Job, plan: Plan, after: Any, queued: set[Any]) -> batches.Batch | None:
    """One batch of one target in one transaction (``None``: nothing left). ``queued``: the
    people this run has already queued for the shred check (committed), not queued again."""
    platform, reference = job.platform, job.reference
    with platform.unit_of_work(actor=job.actor) as uow:
        stored = is_sqlite(platform.engine)  # keys as stored text (see apply.stored_keys)
        acts.secure_delete(uow)
        batches.no_jit(uow)
        made = batches.step(uow, plan, job.held.subjects, job.size, after, stored=stored)
        if made is None:
            return None
        done, fresh = made.done, set()
        if plan.target.sealed:
            fresh = set(made.people) - queued
            shred.queue(uow, fresh)
        run = uow.session.scalars(
            select(RetentionRun).where(RetentionRun.reference == reference)
        ).one()
        counts = json.loads(run.counts)
        counts[plan.target.name] = counts.get(plan.target.name, 0) + done
        run.counts = runs.dumps(counts)
        run.batches += 1
        run.rows += done
        run.heartbeat_at = uow.clock.now()
        uow.audit(
            RetentionAction.PURGED,
            resource=f"retention-run:{reference}",
            details={
                "reference": reference,
                "target": plan.target.name,
                "category": plan.target.category.value,
                "action": plan.action,
                "rows": done,
            },
        )
        uow.session.flush()
        entry = ledger.Entry(
            run=reference,
            at=uow.clock.now(),
            target=plan.target.name,
            action=plan.action,
            ids=tuple(ledger.key_text(i) for i in made.ids),
        )
        ledger.append(ledger.ledger_file(platform.settings), entry)
    queued.update(fresh)  # committed
    return made


def _sealed() -> tuple[Target, ...]:
    """Every target whose values need the person's key (planned or not)."""
    return tuple(t for t in all_targets() if t.sealed)


def _purge(job: _Job, found: list[Plan]) -> tuple[list[PlanResult], int]:
    results: list[PlanResult] = []
    count = 0
    sealed = _sealed()
    queued: set[Any] = set()
    for plan in found:
        result = _result(plan)
        after: Any = None
        while (made := _batch(job, plan, after, queued)) is not None:
            after = made.cursor
            count += 1
            result.done += made.done
            if plan.action == "crypto_shred":
                shred.shred_waiting(
                    job.platform,
                    sealed,
                    job.held.subjects,
                    only=batches.as_uuids(made.people),
                    reference=job.reference,
                )
            if job.progress is not None:
                job.progress(f"{plan.target.category.value}: {plan.target.name}", result.done, None)
        result.due = result.done  # a run works until nothing due is left
        with job.platform.unit_of_work(actor=job.actor) as uow:
            result.kept = kept(uow, plan, job.held)
        results.append(result)
    return results, count


def run(
    platform: Platform,
    *,
    actor: Actor = SYSTEM_ACTOR,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    compact: bool = False,
) -> Report:
    """Carry out every rule now (see the module docstring); ``compact``: then rewrite the
    tables it changed (:mod:`klaremont.retention.compact`)."""
    size = max(1, min(batch_size, MAX_BATCH))
    with platform.unit_of_work(actor=actor) as uow:
        resumed = runs.take_over(uow)
        found, skipped, held, uncovered = _frame(uow)
        record = runs.start(uow, dry_run=False)
        reference = record.reference
        at = uow.clock.now().isoformat(timespec="seconds")
        uow.audit(
            RetentionAction.RUN_STARTED,
            resource=f"retention-run:{reference}",
            details={"reference": reference, "resumes": resumed, "held_people": len(held.subjects)},
        )
    try:
        job = _Job(platform, actor, reference, held, size, progress)
        results, batches = _purge(job, found)
        keys = shred.shred_waiting(platform, _sealed(), held.subjects, reference=reference)
    except BaseException as exc:
        _failed(platform, actor, reference, exc)
        raise
    report = Report(
        reference=reference,
        dry_run=False,
        at=at,
        plans=results,
        unplanned=_skipped(skipped),
        uncovered=uncovered,
        keys_destroyed=keys,
        batches=batches,
        resumed=resumed,
    )
    _finished(platform, actor, report)
    truncate_wal(platform.engine)  # SQLite: no image of a purged page stays in the log
    if compact:
        changed = [p.target for p in found if report.plans_by_target()[p.target.name].done]
        report.compacted = compaction.compact(platform, compaction.tables_of(changed))
    return report


def _finished(platform: Platform, actor: Actor, report: Report) -> None:
    with platform.unit_of_work(actor=actor) as uow:
        record = uow.session.scalars(
            select(RetentionRun).where(RetentionRun.reference == report.reference)
        ).one()
        record.status = runs.FINISHED
        record.finished_at = record.heartbeat_at = uow.clock.now()
        record.keys_destroyed = report.keys_destroyed
        record.kept = runs.dumps({p.target: p.kept for p in report.plans if p.kept})
        by_category: dict[str, int] = {}
        for result in report.plans:
            by_category[result.category] = by_category.get(result.category, 0) + result.done
        uow.audit(
            RetentionAction.RUN_FINISHED,
            resource=f"retention-run:{report.reference}",
            details={
                "reference": report.reference,
                "rows": report.total_done,
                "by_category": _pairs(by_category),
                "kept": sum(sum(p.kept.values()) for p in report.plans),
                "keys_destroyed": report.keys_destroyed,
                "batches": report.batches,
            },
        )


def _failed(platform: Platform, actor: Actor, reference: str, exc: BaseException) -> None:
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        return  # the next run finds it running with its owner gone and carries on
    with platform.unit_of_work(actor=actor) as uow:
        record = uow.session.scalars(
            select(RetentionRun).where(RetentionRun.reference == reference)
        ).one()
        record.status = runs.FAILED
        record.finished_at = uow.clock.now()
        record.error = type(exc).__name__
        uow.audit(
            RetentionAction.RUN_FAILED,
            resource=f"retention-run:{reference}",
            details={"reference": reference, "error": type(exc).__name__},
        )


def scheduled(platform: Platform) -> str:
    """The nightly job: one line saying what went."""
    report = run(platform)
    return (
        f"retention run {report.reference}: {report.total_done} rows in {report.batches} "
        f"batches, {sum(sum(p.kept.values()) for p in report.plans)} kept by holds, "
        f"{report.keys_destroyed} data keys destroyed"
    )
