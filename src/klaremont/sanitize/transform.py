"""A batch of rows at a time, column by column: each column's rule over the whole batch.

Rows arrive as tuples in the table's column order and leave the same way. Sealed columns
are opened with production's keys (loaded for the batch's subjects in one query) and the
fakes sealed under the copy's keys for the copy's (pseudonymous) subject and row id; their
blind indexes are recomputed from the fake value. What verification needs is gathered here
as keyed digests: the source values of every changed personal column, and every fake value
made (a fake that happens to equal some source value is a coincidence of the word lists,
not a leak; a fake equal to its own source is a leak).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from argon2.low_level import Type, hash_secret
from sqlalchemy import JSON, LargeBinary, String, Uuid

from klaremont.sanitize.fakes import Digest, Faker
from klaremont.sanitize.rules import RANKED, Kind, Rule, TablePlan

if TYPE_CHECKING:
    from klaremont.crypto.blind_index import BlindIndexer
    from klaremont.sanitize.copykeys import CopyKeys, SourceKeys

MIN_COMPARED: Final = 6  # shorter values (codes, flags) say nothing about a person
_RETRIES: Final = 8
#: strategies whose fake may be its source: ids (each checked against its own source as it
#: is permuted) and actors (system actors are kept); a reference never is (no fixed point)
_IDENTITY_ALLOWED: Final = frozenset({"uuid", "actor"})
#: strategies whose fake is never its source by construction (a permutation without fixed
#: points) and which keep parts of their input: picking again would echo the source
_NEVER_THE_SAME: Final = frozenset({"reference"})
Column = list[Any]
_DASHED: Final = 36
_HEX: Final = 32
#: a text whose digest every process compares (workers must digest as the parent does)
CANARY: Final = "klaremont sanitise: the digests' key"


@dataclass
class Evidence:
    """Keyed digests gathered while copying (no plaintext is kept)."""

    #: the digest of :data:`CANARY`: a worker's must equal the parent's (same key)
    canary: Digest
    source: set[Digest] = field(default_factory=set)
    fakes: set[Digest] = field(default_factory=set)
    unchanged: dict[str, int] = field(default_factory=dict)  # table.column -> fakes == source
    #: table.column -> digests of the values written as they were (kept and derived text)
    copied: dict[str, set[Digest]] = field(default_factory=dict)

    def merge(self, other: Evidence) -> None:
        """Take in what a worker gathered (refused if its digests were keyed otherwise:
        nothing it gathered could be compared, and a leak would go unseen)."""
        if other.canary != self.canary:
            msg = "a worker process digests values under another key: verification cannot hold"
            raise RuntimeError(msg)
        self.source |= other.source
        self.fakes |= other.fakes
        for where, count in other.unchanged.items():
            self.note_unchanged(where, count)
        for where, digests in other.copied.items():
            self.copied.setdefault(where, set()).update(digests)

    def note_unchanged(self, where: str, count: int = 1) -> None:
        """Pseudonymised values came out equal to their source."""
        self.unchanged[where] = self.unchanged.get(where, 0) + count


def comparable(value: Any) -> str | None:
    """The text a value is compared as, or ``None`` when it cannot hold a person's value
    (numbers, flags, times) or is too short to matter. Ids compare as 32 hex digits,
    whichever form the engine keeps them in."""
    if isinstance(value, str):
        text = value
        if len(text) == _DASHED and text[8] == "-" and text[13] == "-":
            text = text.replace("-", "")
    elif isinstance(value, uuid.UUID):
        text = value.hex
    elif isinstance(value, (bytes, memoryview)):
        text = bytes(value).hex()
    else:
        return None
    return text if len(text) >= MIN_COMPARED else None


def digests_of(values: Sequence[Any], digest: Callable[[str], Digest]) -> set[Digest]:
    """``digest`` of the :func:`comparable` text of every value that has one (text, the
    common case, picked out and digested without a Python call a value)."""
    texts = [v for v in values if v.__class__ is str and len(v) >= MIN_COMPARED]
    if any(len(v) == _DASHED for v in texts):
        undashed = [_undashed(v) if len(v) == _DASHED else v for v in texts]
        texts = [v for v in undashed if len(v) >= MIN_COMPARED]  # dashes may be most of it
    out = set(map(digest, texts))
    if len(texts) != len(values):  # empty, short, or not text: the rare forms one by one
        for value in values:
            if value is not None and value.__class__ is not str:
                text = comparable(value)
                if text is not None:
                    out.add(digest(text))
    return out


def _undashed(text: str) -> str:
    """An id's compared form (32 hex digits) when ``text`` is one with dashes."""
    return text.replace("-", "") if text[8] == "-" and text[13] == "-" else text


def comparables(values: Sequence[Any]) -> list[str | None]:
    """:func:`comparable` over a column (text, the common case, without a call a value)."""
    if all(v.__class__ is str and len(v) != _DASHED for v in values):
        return [v if len(v) >= MIN_COMPARED else None for v in values]
    return [comparable(v) if v is not None else None for v in values]


def hexes_of(values: Sequence[Any]) -> list[str]:
    """:func:`hex_of` over a column (32 hex digits as stored: as they are)."""
    if all(v.__class__ is str and len(v) == _HEX and v.islower() for v in values):
        return list(values)
    return [hex_of(v) for v in values]


def dashed_all(values: Sequence[Any]) -> list[str]:
    """:func:`dashed` over a column (32 lower-case hex digits, as SQLite keeps ids, sliced
    without a call a value)."""
    if all(v.__class__ is str and len(v) == _HEX and v.islower() for v in values):
        return [f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" for h in values]
    return [dashed(v) for v in values]


def rank_key(strategy: str, value: str) -> str | None:
    """What a ranked strategy ranks ``value`` as (``None``: not ranked, e.g. an id)."""
    if strategy == "actor":
        kind, sep, rest = value.partition(":")
        target = rest if sep else value
        try:
            uuid.UUID(target)
        except ValueError:
            return None if (sep and kind == "system") or not target else target.strip().casefold()
        return None
    return value.strip().casefold()


def hex_of(value: Any) -> str:
    """An id as 32 lower-case hex digits, from a UUID or either text form."""
    if isinstance(value, uuid.UUID):
        return value.hex
    return str(value).replace("-", "").lower()


def dashed(value: Any) -> str:
    """An id in its dashed form (what sealed values are bound to), without a UUID object."""
    if isinstance(value, uuid.UUID):
        return str(value)
    text = str(value)
    if len(text) == _DASHED:
        return text.lower()
    h = text.lower()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def norm_key(value: Any) -> Any:
    """A key value as compared across tables read in different forms."""
    if isinstance(value, uuid.UUID) or (isinstance(value, str) and len(value) == _DASHED):
        return hex_of(value)
    return value


class Transformer:
    """Applies each table's rules to batches of its rows."""

    def __init__(
        self, faker: Faker, source: SourceKeys, target: CopyKeys, indexer: BlindIndexer
    ) -> None:
        """Bind the fakes, production's keys, the copy's keys and the copy's blind index."""
        self.faker = faker
        self.source = source
        self.target = target
        self.indexer = indexer
        self.evidence = self.new_evidence()
        self._as_written: dict[str, list[str]] = {}
        secret = faker.digest("password", "unusable")
        salt = faker.digest("password salt", "unusable")[:16]
        #: a valid hash of a secret nobody knows: accounts cannot sign in until reset
        self.unusable_password = hash_secret(secret, salt, 2, 19456, 1, 32, Type.ID).decode()

    def new_evidence(self) -> Evidence:
        """Empty evidence, marked with this process's digest of :data:`CANARY`."""
        return Evidence(canary=self.faker.verify_digest(CANARY))

    # ------------------------------------------------------------------ one column
    def fakes(self, strategy: str, values: Sequence[Any], cols: Columns) -> Column:  # noqa: C901, PLR0912 - one branch per strategy reads best
        """The fakes of one column of a batch (``None`` stays ``None``)."""
        f = self.faker
        if strategy == "uuid":
            return f.uuids(values)
        if strategy in ("card_token", "card_last4"):
            ids, brands = cols.get("id"), cols.get("brand")
            out: Column = []
            for value, row_id, brand in zip(values, ids, brands, strict=True):
                if value is None:
                    out.append(None)
                elif strategy == "card_token":
                    out.append(f.card_token(row_id, brand))
                else:
                    out.append(f.test_card(row_id, brand)[-4:])
            return out
        one: Callable[[str], str]
        match strategy:
            case "email":
                one = f.email
            case "username":
                one = f.username
            case "actor":
                one = f.actor
            case "phone":
                one = f.phone
            case "mobile":
                return [None if v is None else f.phone(str(v), mobile=True) for v in values]
            case "address":
                return [
                    None if v is None else f"{f.address_line(v)}, {f.town(v)}, {f.postcode(v)}"
                    for v in map(_text, values)
                ]
            case _:
                one = getattr(f, strategy)
        return [None if v is None else one(str(v)) for v in values]

    def _pseudonymised(self, how: str, values: Sequence[Any], cols: Columns) -> Column:
        new = self.fakes(how, values, cols)
        if how in RANKED or how in _NEVER_THE_SAME:
            return new
        # a pick from a short list may land on the source value itself: pick again (keyed
        # on the value and the try: the fakes picked again echo nothing of their input)
        for i, before in enumerate(values):
            tries = 0
            while new[i] is not None and new[i] == before and tries < _RETRIES:
                tries += 1
                new[i] = self.fakes(how, [f"{before}\x00{tries}"], cols.row(i))[0]
        return new

    # ------------------------------------------------------------------ a batch
    def apply(
        self, plan: TablePlan, names: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> list[tuple[Any, ...]]:
        """The copy's rows for a batch of source rows (tuples in ``names`` order)."""
        if not rows:
            return []
        cols = Columns(names, [list(c) for c in zip(*rows, strict=True)])
        source = self._opened(plan, cols)
        out: dict[str, Column] = {}
        for column, rule in plan.rules.items():
            values = source.get(column, cols[column])
            if rule.kind in (Kind.KEEP, Kind.DERIVED):
                out[column] = values
                continue
            if rule.kind is Kind.NULL:
                new: Column = [None] * len(values)
            elif rule.kind is Kind.GENERALISE:
                fixed = (
                    self.unusable_password if rule.how == "unusable_password" else json.dumps({})
                )
                new = [None if v is None else fixed for v in values]
            else:
                new = self._pseudonymised(rule.how, values, cols)
            self._gather(plan, column, rule, values, new)
            out[column] = new
        self._seal(plan, out)
        self._gather_written(plan, out)
        return list(zip(*(out[n] for n in names), strict=True))

    def _opened(
        self, plan: TablePlan, cols: Columns, only: set[str] | None = None
    ) -> dict[str, Column]:
        """The batch's sealed columns (or ``only`` those) opened with production's keys."""
        wanted = [c for c in plan.sealed if only is None or c in only]
        if not wanted:
            return {}
        subjects = hexes_of(cols["subject_id"])
        ids = dashed_all(cols["id"])
        self.source.load(subjects)
        found = self.source.open_columns(plan.name, {c: cols[c] for c in wanted}, subjects, ids)
        return {
            column: [None if v is None else v.decode() for v in values]
            for column, values in found.items()
        }

    def _seal(self, plan: TablePlan, out: dict[str, Column]) -> None:
        """Seal the fakes of sealed columns under the copy's keys; blind indexes from them."""
        if not plan.sealed:
            return
        subjects = hexes_of(out["subject_id"])
        ids = dashed_all(out["id"])
        plain = {column: out[column] for column in plan.sealed}
        out.update(self.target.seal_columns(plan.name, plain, subjects, ids))
        mac = self.indexer.index
        for column, index in plan.sealed.items():
            if index is not None:
                made = plain[column]
                out[f"{column}_bidx"] = [None if p is None else mac(index, p) for p in made]

    def _gather(
        self, plan: TablePlan, column: str, rule: Rule, before: Sequence[Any], after: Sequence[Any]
    ) -> None:
        """Source values of personal tables; the fakes of every table."""
        digest = self.faker.verify_digest
        check_same = rule.kind is Kind.PSEUDONYMISE and rule.how not in _IDENTITY_ALLOWED
        fakes = rule.how != "uuid"  # permuted ids are each checked against their source
        if plan.personal:
            self.evidence.source |= digests_of(before, digest)
        if fakes:
            self.evidence.fakes |= digests_of(after, digest)
        if check_same:
            shown_before, shown_after = comparables(before), comparables(after)
            same = sum(
                1
                for b, a in zip(shown_before, shown_after, strict=True)
                if b is not None and b == a
            )
            if same:
                self.evidence.note_unchanged(f"{plan.name}.{column}", same)

    def _gather_written(self, plan: TablePlan, out: dict[str, Column]) -> None:
        """Digests of the text values written as they were read (kept columns, blind
        indexes), by column: verification looks for source values among them. Fakes are
        gathered as they are made; permuted ids are AES blocks, each checked against its
        own source as it is made."""
        columns = self._as_written.get(plan.name)
        if columns is None:
            columns = self._as_written[plan.name] = [
                name
                for name, rule in plan.rules.items()
                if rule.kind in (Kind.KEEP, Kind.DERIVED) and may_hold_text(plan.table.c[name].type)
            ]
        digest = self.faker.verify_digest
        for column in columns:
            found = digests_of(out[column], digest)
            if found:
                self.evidence.copied.setdefault(f"{plan.name}.{column}", set()).update(found)

    # ------------------------------------------------------------------ the pre-pass
    @staticmethod
    def ranked_columns(plan: TablePlan) -> dict[str, str]:
        """The table's columns ranked before copying (e-mails, user names), and how."""
        return {
            c: r.how
            for c, r in plan.rules.items()
            if r.kind is Kind.PSEUDONYMISE and r.how in RANKED
        }

    def ranked_inputs(
        self, plan: TablePlan, names: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> list[tuple[str, str]]:
        """(namespace, key) of every ranked value of a batch of source rows (``names``:
        at least the ranked columns, and ``id`` and ``subject_id`` when they are sealed)."""
        ranked = self.ranked_columns(plan)
        if not ranked or not rows:
            return []
        cols = Columns(names, [list(c) for c in zip(*rows, strict=True)])
        opened = self._opened(plan, cols, set(ranked))
        found: list[tuple[str, str]] = []
        for column, how in ranked.items():
            for value in opened.get(column, cols[column]):
                if value is None:
                    continue
                key = rank_key(how, str(value))
                if key is not None:
                    found.append((RANKED[how], key))
        return found


class Columns:
    """A batch's columns by name."""

    __slots__ = ("_cols", "_pos")

    def __init__(self, names: Sequence[str], cols: list[Column]) -> None:
        """``cols[i]`` holds the values of ``names[i]``."""
        self._pos = {n: i for i, n in enumerate(names)}
        self._cols = cols

    def __getitem__(self, name: str) -> Column:
        """One column."""
        return self._cols[self._pos[name]]

    def get(self, name: str) -> Column:
        """One column, or ``None`` for every row when the table has no such column."""
        if name in self._pos:
            return self[name]
        return [None] * len(self._cols[0])

    def row(self, index: int) -> Columns:
        """The batch narrowed to one row."""
        names = list(self._pos)
        return Columns(names, [[c[index]] for c in self._cols])


def may_hold_text(kind: Any) -> bool:
    """Column types whose values may be a person's: text, binary, ids."""
    return isinstance(kind, (String, LargeBinary, Uuid, JSON))


def _text(value: Any) -> Any:
    return None if value is None else str(value)
