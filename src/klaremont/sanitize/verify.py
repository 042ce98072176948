"""Proof that a copy is sanitised, taken after writing and before it is kept.

- every foreign key holds (SQLite ``PRAGMA foreign_key_check``; PostgreSQL enforces them);
- each unique column keeps as many distinct values as the source rows copied;
- the discovery scanner finds no live card number, track data or card code in the copy;
- no value of a changed personal-data column of the source appears anywhere in the copy:
  keyed digests of the source values against digests of every value of the copy (sealed
  values opened with the copy's keys), so the check holds no plaintext. A source value
  that is also a fake the run made (a common name from the lists) is a coincidence, not a
  leak; a fake equal to its own source is a leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, text

from klaremont.crypto.context import CryptoContext
from klaremont.detectors.bulk import kinds_of
from klaremont.detectors.kinds import Group
from klaremont.sanitize.copying import settle, unique_sets
from klaremont.sanitize.fakes import as_uuid
from klaremont.sanitize.transform import comparable
from klaremont.scan.engine import ScanRequest, run

if TYPE_CHECKING:
    from klaremont.platform import Platform
    from klaremont.sanitize.copying import Copier, CopyPlace


@dataclass
class Verification:
    """What the checks found."""

    foreign_keys: list[str] = field(default_factory=list)
    uniques: dict[str, tuple[int, int]] = field(default_factory=dict)  # "t (cols)" -> src, copy
    card_findings: int = 0
    leaks: int = 0
    coincidences: int = 0
    unchanged: dict[str, int] = field(default_factory=dict)

    @property
    def unique_problems(self) -> list[str]:
        """Unique columns whose distinct count differs from the source's."""
        return [name for name, (a, b) in self.uniques.items() if a != b]

    @property
    def passed(self) -> bool:
        """Every check holds."""
        return not (
            self.foreign_keys
            or self.unique_problems
            or self.card_findings
            or self.leaks
            or self.unchanged
        )


def foreign_key_problems(target: Platform) -> list[str]:
    """Rows whose foreign key points nowhere (PostgreSQL refuses them on insert)."""
    if target.engine.dialect.name != "sqlite":
        return []
    with target.engine.connect() as conn:
        rows = conn.execute(text("PRAGMA foreign_key_check")).all()
    return [f"{r[0]} row {r[1]} -> {r[2]}" for r in rows]


def copy_values(target: Platform, copier: Copier) -> set[bytes]:
    """Keyed digests of every value in the copy (sealed values opened)."""
    ctx = CryptoContext(target.keystore)
    digest = copier.faker.digest
    found: set[bytes] = set()
    with target.engine.connect() as conn:
        for plan in copier.plan.kept():
            for row in conn.execute(select(plan.table)).mappings():
                for column, stored in row.items():
                    value = stored
                    if column in plan.sealed and stored is not None:
                        value = ctx.open(
                            as_uuid(row["subject_id"]),
                            plan.name,
                            column,
                            as_uuid(row["id"]),
                            bytes(stored),
                        )
                    shown = comparable(value)
                    if shown is not None:
                        found.add(digest("verify", shown))
    return found


def verify(copy: CopyPlace, target: Platform, copier: Copier) -> Verification:
    """Run every check on the written copy."""
    settle(copy, target)
    result = Verification(foreign_keys=foreign_key_problems(target))
    with target.engine.connect() as conn:
        for plan in copier.plan.kept():
            counted = copier.counts[plan.name].unique_source
            for name, columns in unique_sets(plan.table).items():
                cols = [plan.table.c[c] for c in columns]
                inner = select(*cols).where(*(c.is_not(None) for c in cols)).distinct().subquery()
                copied = conn.execute(select(func.count()).select_from(inner)).scalar_one()
                result.uniques[f"{plan.name} ({name})"] = (counted.get(name, 0), int(copied))
    scan_target = copy.partial_url
    if scan_target.startswith("sqlite"):
        scan_target = scan_target.removeprefix("sqlite:///")
    scanned = run(ScanRequest((scan_target,), kinds_of([Group.CARDS]), label="sanitised copy"))
    result.card_findings = len(scanned.card_data())
    evidence = copier.transformer.evidence
    found = copy_values(target, copier) & evidence.source
    result.leaks = len(found - evidence.fakes)
    result.coincidences = len(found & evidence.fakes)
    result.unchanged = dict(evidence.unchanged)
    return result


def summary(result: Verification) -> dict[str, Any]:
    """The verification as plain data for the report."""
    return {
        "passed": result.passed,
        "foreign_keys": {"holds": not result.foreign_keys, "problems": result.foreign_keys[:20]},
        "unique_columns": {
            name: {"source": a, "copy": b, "equal": a == b}
            for name, (a, b) in sorted(result.uniques.items())
        },
        "live_card_findings": result.card_findings,
        "source_values_found": result.leaks,
        "coincidences_with_fakes": result.coincidences,
        "fakes_equal_to_source": result.unchanged,
    }
