"""The retention ledger: every purged batch, by pseudonymous row id, kept where a restore
of an older backup cannot take it away (as the erasure ledger is).

Each batch appends one JSON line to ``<var>/ledger/retention-ledger.jsonl`` (fsynced, mode
0600) *before* its transaction commits: a line whose transaction then failed names rows
that were due anyway, so re-applying it is harmless, while a committed purge is never
missing from the file. A line holds the run reference, the time, the target, the action
and the rows' primary keys (random UUIDs or sequence numbers): never a personal value.

After a restore, :func:`reapply` does every line again (each step is idempotent), so the
purged rows of the restored copy are gone again before anyone reads them.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.progress import track

from klaremont.retention import apply as acts
from klaremont.retention.actions import RetentionAction
from klaremont.retention_targets import by_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    from klaremont.config import Settings
    from klaremont.platform import UnitOfWork

logger = logging.getLogger(__name__)
FILE_MODE = 0o600
KEYS = "keys"  # the target name of a line that records destroyed data keys (subject ids)
REASON = "retention ledger re-applied after a restore"


@dataclass(frozen=True, slots=True)
class Entry:
    """One purged batch."""

    run: str
    at: datetime
    target: str
    action: str
    ids: tuple[str, ...]

    def to_json(self) -> str:
        """One line of the file."""
        return json.dumps(
            {
                "run": self.run,
                "at": self.at.isoformat(),
                "target": self.target,
                "action": self.action,
                "ids": list(self.ids),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, line: str) -> Entry:
        """Read one line back."""
        data = json.loads(line)
        return cls(
            run=str(data["run"]),
            at=datetime.fromisoformat(data["at"]),
            target=str(data["target"]),
            action=str(data["action"]),
            ids=tuple(str(i) for i in data["ids"]),
        )


def ledger_file(settings: Settings) -> Path:
    """Where the ledger lives (beside the erasure ledger, apart from the data store)."""
    return settings.var_dir / "ledger" / "retention-ledger.jsonl"


def key_text(value: Any) -> str:
    """A primary key as written in the ledger."""
    return value.hex if isinstance(value, uuid.UUID) else str(value)


def append(path: Path, entry: Entry) -> None:
    """Append one line and make it durable."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    try:
        os.write(fd, (entry.to_json() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read(path: Path) -> list[Entry]:
    """Every entry (a missing file is an empty ledger; an unreadable line is logged and skipped)."""
    if not path.exists():
        return []
    entries: list[Entry] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entries.append(Entry.from_json(line))
            except (ValueError, KeyError, TypeError) as exc:
                logger.error("retention ledger line %d unreadable: %s", number, type(exc).__name__)  # noqa: TRY400 - no stack traces in logs
    return entries


def _keys(column_type: Any, ids: Sequence[str]) -> list[Any]:
    python = getattr(column_type, "python_type", str)
    if python is uuid.UUID:
        return [uuid.UUID(hex=i) for i in ids]
    if python is int:
        return [int(i) for i in ids]
    return list(ids)


def reapply(uow: UnitOfWork, *, show_progress: bool = False) -> dict[str, int]:
    """Do every ledger entry again; rows changed, by target. Audited when anything changed."""
    entries = read(ledger_file(uow.platform.settings))
    targets = by_name()
    changed: dict[str, int] = {}
    acts.secure_delete(uow)
    steps: Iterable[Entry] = entries
    if show_progress and entries:
        steps = track(entries, description="re-applying retention purges")
    for entry in steps:
        if entry.target == KEYS:
            again = uow.crypto.destroy_many([uuid.UUID(hex=i) for i in entry.ids], REASON)
            if again:  # only keys a restored keystore brought back
                changed[KEYS] = changed.get(KEYS, 0) + again
            continue
        target = targets.get(entry.target)
        if target is None:
            logger.warning("retention ledger names an unknown target %s", entry.target)
            continue
        ids = _keys(target.pk.type, entry.ids)
        count = acts.apply(uow, target, entry.action, ids)
        if count:
            changed[entry.target] = changed.get(entry.target, 0) + count
    if changed:
        uow.audit(
            RetentionAction.REAPPLIED,
            resource="retention:ledger",
            details={"entries": len(entries), "rows": changed},
        )
    return changed


def after_restore(uow: UnitOfWork) -> dict[str, int]:
    """The ``after_restore`` provider: re-apply every purge, so a restore cannot undo one."""
    return reapply(uow)
