"""Proof that a copy is sanitised, taken after writing and before it is kept.

- every foreign key holds (SQLite ``PRAGMA foreign_key_check``; PostgreSQL enforces them);
- each unique column keeps as many distinct values as the source rows copied;
- the discovery scanner finds no live card number, track data or card code in the copy;
- no value of a changed personal-data column of the source appears anywhere in the copy:
  keyed digests of the source values against digests of every text value written (taken
  from the very rows handed to the writer, in the transform's processes: the values kept
  as they were, and every fake before it was sealed), so the check holds no plaintext and
  does not read the copy a second time. A source value that is also a fake the run made
  (a common name from the lists) is a coincidence, not a leak; a fake equal to its own
  source is a leak. Permuted ids are 128-bit AES blocks, each compared with its own
  source as it is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import func, select, text

from klaremont.detectors.bulk import kinds_of
from klaremont.detectors.kinds import Group
from klaremont.sanitize.copying import unique_sets
from klaremont.sanitize.place import settle
from klaremont.scan.engine import OUTSIDE_LIVE_ROWS, ScanRequest, run

if TYPE_CHECKING:
    from collections.abc import Iterable

    from klaremont.platform import Platform
    from klaremont.sanitize.copying import Copier
    from klaremont.sanitize.fakes import Digest
    from klaremont.sanitize.place import CopyPlace
    from klaremont.scan.findings import Finding


@dataclass
class Verification:
    """What the checks found."""

    foreign_keys: list[str] = field(default_factory=list)
    uniques: dict[str, tuple[int, int]] = field(default_factory=dict)  # "t (cols)" -> src, copy
    card_findings: int = 0
    hex_digits: int = 0  # scanner hits that are digits inside a long hex token (a digest, an id)
    across_values: int = 0  # digits formed by neighbouring stored values in a SQLite file
    leaks: int = 0
    leak_places: list[str] = field(default_factory=list)  # table.column, never the value
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


HEX_TOKEN_MIN: Final = 32
_HEX: Final = frozenset(b"0123456789abcdefABCDEF")


def inside_hex_token(source: str, offset: int | None) -> bool:
    """True when a scanner hit in a file is digits inside a hex token of 32 characters or
    more that holds a letter too (an id or a digest stored as hex, glued or not): part of a
    hash, not a card number. Read from the file's bytes around the hit."""
    path = Path(source)
    if offset is None or not path.is_file():
        return False
    with path.open("rb") as handle:
        start = max(0, offset - 256)
        handle.seek(start)
        window = handle.read(offset - start + 256)
    at = offset - start
    if at >= len(window) or window[at] not in _HEX:
        return False
    left, right = at, at
    while left > 0 and window[left - 1] in _HEX:
        left -= 1
    while right < len(window) and window[right] in _HEX:
        right += 1
    token = window[left:right]
    return len(token) >= HEX_TOKEN_MIN and any(chr(b).isalpha() for b in token)


def classify(findings: Iterable[Finding]) -> tuple[int, int, int]:
    """The scanner's card findings in a fresh copy: (card numbers, digits inside a long hex
    token, digits formed by neighbouring values). A copy's file is fresh (freed bytes
    zeroed, its log folded in), so digits outside every stored value of a SQLite file are
    two neighbouring values read as one (a renumbered order number, then a date), not a
    card number any row holds; the scanner's pass over the rows finds any a row holds."""
    cards = hex_digits = across = 0
    for finding in findings:
        if inside_hex_token(finding.source, finding.offset):
            hex_digits += 1
        elif finding.table is None and finding.note == OUTSIDE_LIVE_ROWS:
            across += 1
        else:
            cards += 1
    return cards, hex_digits, across


def foreign_key_problems(target: Platform) -> list[str]:
    """Rows whose foreign key points nowhere (PostgreSQL refuses them on insert)."""
    if target.engine.dialect.name != "sqlite":
        return []
    with target.engine.connect() as conn:
        rows = conn.execute(text("PRAGMA foreign_key_check")).all()
    return [f"{r[0]} row {r[1]} -> {r[2]}" for r in rows]


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
    request = ScanRequest(
        (scan_target,), kinds_of([Group.CARDS]), label="sanitised copy", jobs=copier.jobs
    )
    scanned = run(request)
    result.card_findings, result.hex_digits, result.across_values = classify(scanned.card_data())
    evidence = copier.transformer.evidence
    leaked: set[Digest] = set()
    for place, digests in evidence.copied.items():
        found = (digests & evidence.source) - evidence.fakes
        if found:
            leaked |= found
            result.leak_places.append(place)
    result.leak_places.sort()
    result.leaks = len(leaked)
    result.coincidences = len(evidence.fakes & evidence.source)
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
        "digit_runs_inside_hex_tokens": result.hex_digits,
        "digit_runs_across_neighbouring_values": result.across_values,
        "source_values_found": result.leaks,
        "source_values_found_in": result.leak_places,
        "coincidences_with_fakes": result.coincidences,
        "fakes_equal_to_source": result.unchanged,
    }
