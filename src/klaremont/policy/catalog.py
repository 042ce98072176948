"""The clause catalog: every numbered policy clause, its scope, its control and its status.

``clauses.toml`` is generated from ``policy/CLAUSES.md`` by :mod:`klaremont.policy.catalog_gen`;
the text columns come from that file, the decisions (status, controls, issue, justification,
note) are edited in ``clauses.toml`` and survive regeneration.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from klaremont.errors import NotFound, PolicyFileError
from klaremont.policy.loader import problems_from

if TYPE_CHECKING:
    from collections.abc import Iterator

EXPECTED_CLAUSES = 87
CATALOG_NAME = "clauses.toml"

Document = Literal["PP", "DP", "IS", "SP"]
Scope = Literal["S", "A", "O"]
Status = Literal["implemented", "planned", "organisational"]

CLAUSE_ID = re.compile(r"(PP|DP|IS|SP)(-[A-Z0-9]+)+")
CONTROL_PATH = re.compile(
    r"klaremont(\.[a-z_][a-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)?"
)


def _control_path(value: str) -> str:
    if not CONTROL_PATH.fullmatch(value):
        raise ValueError(
            f"{value!r} must be a module path such as 'klaremont.audit.log' "
            "or 'klaremont.config:Settings.production_problems'"
        )
    return value


def _clause_id(value: str) -> str:
    if not CLAUSE_ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a clause ID such as 'IS-PW-LOCK3'")
    return value


ClauseId = Annotated[str, AfterValidator(_clause_id)]
NonEmpty = Annotated[str, Field(min_length=1)]


class UnknownClauseError(NotFound):
    """A clause ID that is not in the catalog."""

    code = "unknown-clause"
    title = "Unknown policy clause"


class Clause(BaseModel):
    """One numbered clause of the policies and what the platform does about it."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    id: ClauseId
    document: Document
    scope: Scope
    text: NonEmpty
    expected_control: NonEmpty
    status: Status
    controls: list[Annotated[str, AfterValidator(_control_path)]]
    issue: str
    justification: str = ""
    note: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[str] = []
        if not self.id.startswith(f"{self.document}-"):
            problems.append(f"id: must start with its document '{self.document}-'")
        if (self.scope == "O") != (self.status == "organisational"):
            problems.append("status: 'organisational' exactly when scope is 'O'")
        if self.status == "organisational":
            if not self.justification:
                problems.append("justification: required for an organisational clause")
            if self.controls:
                problems.append("controls: an organisational clause has no control")
        else:
            if not self.issue:
                problems.append("issue: name the roadmap capability that delivers it")
            if self.status == "implemented" and not self.controls:
                problems.append("controls: an implemented clause names at least one control")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def needs_tests(self) -> bool:
        """True for scope S and A: the system enforces or assists, so tests must prove it."""
        return self.scope != "O"


class Catalog:
    """Every clause, in document order, looked up by ID."""

    def __init__(self, clauses: list[Clause]) -> None:
        self._clauses = tuple(clauses)
        self._by_id: dict[str, Clause] = {}
        for clause in self._clauses:
            if clause.id in self._by_id:
                raise PolicyFileError(f"clause catalog: {clause.id} appears twice")
            self._by_id[clause.id] = clause

    def get(self, clause_id: str) -> Clause:
        """Return the clause, or raise :class:`UnknownClauseError`."""
        try:
            return self._by_id[clause_id]
        except KeyError:
            raise UnknownClauseError(f"unknown policy clause {clause_id!r}") from None

    @property
    def ids(self) -> tuple[str, ...]:
        """Every clause ID in document order."""
        return tuple(clause.id for clause in self._clauses)

    def with_status(self, status: Status) -> list[Clause]:
        """The clauses that have ``status``."""
        return [clause for clause in self._clauses if clause.status == status]

    def __contains__(self, clause_id: object) -> bool:
        return clause_id in self._by_id

    def __iter__(self) -> Iterator[Clause]:
        return iter(self._clauses)

    def __len__(self) -> int:
        return len(self._clauses)


def parse_catalog(text: str, *, expected: int | None = EXPECTED_CLAUSES) -> Catalog:
    """Validate catalog TOML (``[[clause]]`` tables); refuse a wrong clause count."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyFileError(f"clause catalog: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - {"clause"})
    raw = data.get("clause", [])
    problems: list[str] = [f"{key}: unknown key" for key in unknown]
    clauses: list[Clause] = []
    for index, entry in enumerate(raw):
        try:
            clauses.append(Clause.model_validate(entry))
        except ValidationError as exc:
            label = entry.get("id", index) if isinstance(entry, dict) else index
            problems.extend(f"clause.{label}.{p.field}: {p.rule}" for p in problems_from(exc))
    if expected is not None and len(raw) != expected:
        problems.append(f"clause: {len(raw)} clauses, expected {expected}")
    if problems:
        raise PolicyFileError("clause catalog is not valid:\n  " + "\n  ".join(problems))
    return Catalog(clauses)


@cache
def load_catalog() -> Catalog:
    """The shipped catalog (read once)."""
    text = resources.files("klaremont.policy").joinpath(CATALOG_NAME).read_text(encoding="utf-8")
    return parse_catalog(text)
