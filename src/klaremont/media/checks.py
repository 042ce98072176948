"""Live checks of the media clauses, one per clause, over the inventory and the backup
directory. Without a database (the policy trace run from settings alone) each says so and
holds."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.media.models import MediaDisposalStep, MediaItem
from klaremont.media.states import ON_HAND, ItemState, Step
from klaremont.media.stocktake import latest
from klaremont.policy.live import CheckResult, LiveContext, live_check, with_database

if TYPE_CHECKING:
    from collections.abc import Callable

    from klaremont.platform import UnitOfWork

NO_DATABASE = "media inventory not inspected (no database in this context)"
STOCKTAKE_EVERY = timedelta(days=366)
#: where ``klaremont backup create`` writes, and how its files are named
BACKUP_FOLDER = "backups"
BACKUP_SUFFIX = ".kbak"


def _run(ctx: LiveContext, check: Callable[[UnitOfWork], CheckResult]) -> CheckResult:
    return with_database(ctx, check, without=NO_DATABASE)


def _names(found: list[str]) -> str:
    shown = ", ".join(found[:5])
    return shown + (f" and {len(found) - 5} more" if len(found) > 5 else "")  # noqa: PLR2004


def _disposals(uow: UnitOfWork) -> dict[str, dict[Step, MediaDisposalStep]]:
    found: dict[str, dict[Step, MediaDisposalStep]] = {}
    for row in uow.session.scalars(select(MediaDisposalStep)):
        found.setdefault(row.reference, {})[row.step] = row
    return found


@live_check(
    "IS-MEDIA-INVENTORY",
    reads="the backup files on disk against the media inventory, and missing items against their "
    "loss reports",
)
def every_backup_is_inventoried(ctx: LiveContext) -> CheckResult:
    """Every backup file on disk is an item; no item is missing without a loss report."""

    def check(uow: UnitOfWork) -> CheckResult:
        folder = ctx.settings.var_dir / BACKUP_FOLDER
        files = sorted(p.name[: -len(BACKUP_SUFFIX)] for p in folder.glob(f"*{BACKUP_SUFFIX}"))
        known = set(
            uow.session.scalars(
                select(MediaItem.backup_id).where(MediaItem.state != ItemState.DISPOSED)
            )
        )
        unlisted = [name for name in files if name not in known]
        if unlisted:
            return CheckResult(
                holds=False, detail=f"backup files not in the inventory: {_names(unlisted)}"
            )
        unreported = list(
            uow.session.scalars(
                select(MediaItem.label).where(
                    MediaItem.state == ItemState.MISSING, MediaItem.loss_report.is_(None)
                )
            )
        )
        if unreported:
            return CheckResult(
                holds=False, detail=f"missing with no loss incident: {_names(unreported)}"
            )
        items = uow.session.scalar(select(MediaItem.id).limit(1))
        return CheckResult(
            holds=True,
            detail=f"{len(files)} backup file(s) on disk, all inventoried"
            + ("" if items else "; the inventory is empty"),
        )

    return _run(ctx, check)


@live_check(
    "IS-MEDIA-PROTECT",
    reads="media items on hand: their location and custodian, and the latest finished stocktake "
    "against today less twelve months",
)
def every_item_is_placed_and_counted(ctx: LiveContext) -> CheckResult:
    """Every item on hand has a location and a custodian, and a stocktake finished in the
    last twelve months."""

    def check(uow: UnitOfWork) -> CheckResult:
        on_hand = list(
            uow.session.scalars(select(MediaItem).where(MediaItem.state.in_(list(ON_HAND))))
        )
        unplaced = [i.label for i in on_hand if not i.location.strip() or not i.custodian.strip()]
        if unplaced:
            return CheckResult(holds=False, detail=f"no location or custodian: {_names(unplaced)}")
        if not on_hand:
            return CheckResult(holds=True, detail="no media on hand")
        last = latest(uow)
        if last is None or last.finished_at is None:
            return CheckResult(holds=False, detail="no stocktake of the media has been finished")
        if uow.clock.now() - last.finished_at > STOCKTAKE_EVERY:
            return CheckResult(
                holds=False,
                detail=f"the last stocktake ({last.reference}) is more than twelve months old",
            )
        return CheckResult(
            holds=True,
            detail=f"{len(on_hand)} item(s) on hand, placed; last stocktake {last.reference}",
        )

    return _run(ctx, check)


@live_check(
    "IS-MEDIA-DISPOSE",
    reads="every media disposal carried out: who requested it against who approved it, and the "
    "approval date against the disposal date",
)
def every_disposal_was_approved_by_another(ctx: LiveContext) -> CheckResult:
    """Every item disposed of had its disposal approved by someone other than the requester."""

    def check(uow: UnitOfWork) -> CheckResult:
        bad: list[str] = []
        done = 0
        for reference, steps in sorted(_disposals(uow).items()):
            if Step.CARRIED_OUT not in steps:
                continue
            done += 1
            asked, ok = steps.get(Step.REQUESTED), steps.get(Step.APPROVED)
            if (
                asked is None
                or ok is None
                or ok.actor_id == asked.actor_id
                or ok.at > steps[Step.CARRIED_OUT].at
            ):
                bad.append(reference)
        if bad:
            return CheckResult(
                holds=False, detail=f"disposed of without another's approval: {_names(bad)}"
            )
        return CheckResult(holds=True, detail=f"{done} disposal(s), each approved by another")

    return _run(ctx, check)


@live_check(
    "IS-MEDIA-WIPE",
    reads="every media disposal carried out: its method, technique, certificate and witness "
    "against who did it; disposed items against a recorded disposal",
)
def every_disposal_has_a_method_and_a_witness(ctx: LiveContext) -> CheckResult:
    """Every disposal carried out records its method, technique, a witness who is not the
    person who did it, and a certificate."""

    def check(uow: UnitOfWork) -> CheckResult:
        bad: list[str] = []
        done = 0
        recorded: set[object] = set()
        for reference, steps in sorted(_disposals(uow).items()):
            row = steps.get(Step.CARRIED_OUT)
            if row is None:
                continue
            done += 1
            recorded.add(row.item_id)
            if (
                row.category is None
                or row.technique is None
                or not row.witness
                or not row.certificate
                or (row.performed_by or "").casefold() == row.witness.casefold()
            ):
                bad.append(reference)
        disposed = uow.session.execute(
            select(MediaItem.id, MediaItem.label).where(MediaItem.state == ItemState.DISPOSED)
        )
        bad.extend(label for item_id, label in disposed if item_id not in recorded)
        if bad:
            return CheckResult(holds=False, detail=f"no method or witness: {_names(bad)}")
        return CheckResult(holds=True, detail=f"{done} disposal(s), each with method and witness")

    return _run(ctx, check)
