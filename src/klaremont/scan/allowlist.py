"""The allow-list: accepted findings, each with a reason and an expiry.

A TOML file of ``[[allow]]`` entries::

    [[allow]]
    path = "fixtures/*.csv"          # which sources (a glob on the path or table name)
    kind = "test-card-number"        # a kind of finding, or "*"
    line = 12                        # optional: only this line (or row key, as text)
    sample = "•••• 1111"             # optional: only findings with this masked sample
    reason = "published test numbers in the payment fixtures"
    expires = 2027-03-31

An entry accepts the findings it matches until it expires; an expired entry accepts nothing
and is reported, so an exception is looked at again. An entry without ``line`` and
``sample`` accepts every finding of its kind in its sources, counted ones included.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from klaremont.detectors.kinds import Kind
from klaremont.errors import ValidationFailed
from klaremont.scan.findings import Finding

_FIELDS = frozenset({"path", "kind", "line", "sample", "reason", "expires"})


@dataclass(frozen=True, slots=True)
class Allowance:
    """One accepted kind of finding."""

    number: int
    path: str
    kind: Kind | None
    reason: str
    expires: date
    line: str | None = None
    sample: str | None = None

    @property
    def whole(self) -> bool:
        """True when the entry accepts every finding of its kind in its sources."""
        return self.line is None and self.sample is None

    def covers_source(self, source: str) -> bool:
        """True when ``source`` is one of the entry's sources."""
        return fnmatch.fnmatch(source, self.path) or fnmatch.fnmatch(Path(source).name, self.path)

    def matches(self, finding: Finding) -> bool:
        """True when the entry accepts ``finding``."""
        if self.kind is not None and finding.kind is not self.kind:
            return False
        if not self.covers_source(finding.source):
            return False
        where = str(finding.line) if finding.line is not None else finding.key
        if self.line is not None and where != self.line:
            return False
        return self.sample is None or finding.sample == self.sample


@dataclass(frozen=True, slots=True)
class AllowList:
    """The entries in force on ``today``, and those that have expired."""

    entries: tuple[Allowance, ...]
    expired: tuple[Allowance, ...]

    def reason_for(self, finding: Finding) -> str | None:
        """The reason of the first entry that accepts ``finding``, if any."""
        for entry in self.entries:
            if entry.matches(finding):
                return entry.reason
        return None


def _entry(number: int, raw: object) -> Allowance:
    where = f"allow-list entry {number}"
    if not isinstance(raw, dict):
        raise ValidationFailed.single(where, "must be a table of path, kind, reason and expires")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise ValidationFailed.single(f"{where}: {unknown[0]}", "is not a field of an entry")
    for name in ("path", "kind", "reason"):
        value = raw.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ValidationFailed.single(f"{where}: {name}", "must be filled in")
    expires = raw.get("expires")
    if not isinstance(expires, date):
        raise ValidationFailed.single(f"{where}: expires", "must be a date (YYYY-MM-DD)")
    kind_text = str(raw["kind"])
    try:
        kind = None if kind_text == "*" else Kind(kind_text)
    except ValueError:
        words = ", ".join(k.value for k in Kind)
        raise ValidationFailed.single(f"{where}: kind", f"must be * or one of {words}") from None
    line = raw.get("line")
    sample = raw.get("sample")
    return Allowance(
        number,
        str(raw["path"]),
        kind,
        str(raw["reason"]).strip(),
        expires,
        None if line is None else str(line),
        None if sample is None else str(sample),
    )


def load(path: Path, today: date) -> AllowList:
    """Read an allow-list file; a bad entry is refused naming the entry and the field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationFailed.single("allow-list", f"no file at {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ValidationFailed.single("allow-list", f"is not valid TOML ({error})") from None
    raw = data.get("allow", [])
    if not isinstance(raw, list):
        raise ValidationFailed.single("allow-list", "must hold [[allow]] entries")
    entries = [_entry(n, item) for n, item in enumerate(raw, 1)]
    return AllowList(
        tuple(e for e in entries if e.expires >= today),
        tuple(e for e in entries if e.expires < today),
    )
