"""The right of access (PP-R-ACCESS): a complete, decrypted copy of everything held about a
person, with the Art. 15 information, as JSON and as a readable HTML page.

"Everything" is every subject table the schema knows (:mod:`klaremont.rights.discovery`),
so a new capability's table appears without a change here. Sealed values are opened with
the person's data key; blind-index digests (derived) and credentials (password hashes,
payment tokens: the audit redaction rule decides) are left out, and the copy says so.
Reads are Core selects with subqueries: one round trip per table, no N+1.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select

from klaremont import capabilities
from klaremont.db.subjects import Subject
from klaremont.db.tags import Handling
from klaremont.rights import art15, reading
from klaremont.rights.discovery import SubjectTable, subject_graph

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Column

    from klaremont.platform import UnitOfWork

FORMAT = "klaremont.access/1"
#: extension point: ``(uow, subject_id) -> [section]``, the person's rows in external stores
EXTERNAL_ACCESS = "external_access"
STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#1d2a2f;"
    "padding:0 1rem}@media(max-width:40rem){table{display:block;overflow-x:auto}"
    "td,th{min-width:8rem}}"
    "h1,h2,h3{color:#17414f}table{border-collapse:collapse;margin:.5rem 0 1.5rem;width:100%}"
    "th,td{border:1px solid #c9d3d6;padding:.25rem .5rem;text-align:left;vertical-align:top;"
    "font-size:13px}th{background:#eef3f4}.note{color:#55666b}dl{display:grid;"
    "grid-template-columns:max-content auto;gap:.25rem 1rem}dt{font-weight:600}"
    "h4{margin:1rem 0 .25rem}dd{margin:0;overflow-wrap:anywhere}"
)
#: The page's Content-Security-Policy: nothing loads, only its own inline style applies.
HTML_CSP = (
    "default-src 'none'; style-src 'sha256-"
    + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    + "'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_ENV = Environment(
    loader=PackageLoader("klaremont.rights", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def plain(value: Any) -> Any:
    """A JSON-ready form of a column value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


@dataclass
class TableCopy:
    """The person's rows of one table."""

    name: str
    categories: tuple[str, ...]
    columns: list[str]
    rows: list[dict[str, Any]]
    withheld: list[str]
    derived: list[str]
    kept_after_erasure: bool


@dataclass
class AccessCopy:
    """Everything held about one person, and the Art. 15 information."""

    subject_id: uuid.UUID
    generated_at: datetime
    person: dict[str, Any]
    tables: list[TableCopy]
    searched: list[str]
    information: dict[str, Any] = field(default_factory=dict)
    external: list[dict[str, Any]] = field(default_factory=list)

    def table(self, name: str) -> TableCopy | None:
        """One table's rows, if the person has any there."""
        return next((t for t in self.tables if t.name == name), None)

    def row_count(self) -> int:
        """Rows in the copy (the person's own record excluded)."""
        return sum(len(t.rows) for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        """The JSON document."""
        return {
            "format": FORMAT,
            "subject_id": str(self.subject_id),
            "generated_at": self.generated_at.isoformat(),
            "person": self.person,
            "data": {
                t.name: {
                    "categories": list(t.categories),
                    "rows": t.rows,
                    "left_out": {
                        "credentials": t.withheld,
                        "derived_lookup_digests": t.derived,
                    },
                }
                for t in self.tables
            },
            "tables_searched": self.searched,
            "information": self.information,
            "external_stores": self.external,
        }

    def to_json(self) -> bytes:
        """The JSON document as UTF-8 bytes (compact: the C encoder; the HTML is for reading)."""
        text = json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return text.encode()

    def to_html(self) -> bytes:
        """A self-contained readable page (inline style only, no script)."""
        customers = self.table("customers")
        page = _ENV.get_template("access.html").render(
            copy=self,
            style=STYLE,
            sections=reading.present(self.tables),
            numbers=[row["reference"] for row in (customers.rows if customers else [])],
            titles=reading.SECTION_TITLES,
            values=reading.VALUE_LABELS,
            since=reading.since,
            store_sections=reading.present_store,
        )
        return page.encode()


def _isoformat(value: date | datetime) -> str:
    return value.isoformat()


def _enum_value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _converter(column: Column[Any]) -> Callable[[Any], Any] | None:
    """How to make one column's values JSON-ready (None: they already are)."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return plain
    if kind in {int, str, bool, float}:
        return None
    if kind is uuid.UUID:
        return str
    if kind in {datetime, date}:
        return _isoformat
    if issubclass(kind, enum.Enum):
        return _enum_value
    return plain


def _read_table(
    uow: UnitOfWork, node: SubjectTable, subject_id: uuid.UUID
) -> tuple[list[str], list[dict[str, Any]]]:
    """The person's rows of one table: shown columns only, sealed ones opened.

    ``dict(zip(...))`` builds each row in C; only the columns that need it are converted.
    """
    shown = [
        c for c in node.table.columns if c.name not in node.withheld and c.name not in node.derived
    ]
    names = [str(c.name) for c in shown]
    sealed = [name for name in names if name in node.sealed]
    fixes = [
        (str(c.name), convert)
        for c in shown
        if c.name not in node.sealed and (convert := _converter(c)) is not None
    ]
    pk = str(node.pk.name)
    open_value = uow.crypto.open
    table = node.name
    rows: list[dict[str, Any]] = []
    for row in uow.session.execute(subject_graph().rows(table, subject_id, shown)):
        out = dict(zip(names, row, strict=True))
        for name in sealed:
            value = out[name]
            if value is not None:
                out[name] = open_value(out["subject_id"], table, name, out[pk], bytes(value))
        for name, convert in fixes:
            value = out[name]
            if value is not None:
                out[name] = convert(value)
        rows.append(out)
    return names, rows


def collect(uow: UnitOfWork, subject_id: uuid.UUID) -> AccessCopy:
    """Read and decrypt everything held about the person (no audit: the caller records it)."""
    graph = subject_graph()
    subjects = Subject.__table__
    query = select(subjects).where(subjects.c.id == subject_id)
    person_row = uow.session.execute(query).mappings().first()
    person = {str(k): plain(v) for k, v in person_row.items()} if person_row else {}
    tables: list[TableCopy] = []
    categories: set[str] = set()
    sources: dict[str, Counter[str]] = {}
    bases: set[str] = set()
    searched: list[str] = []
    for node in graph:
        if node.handling in {Handling.INTERNAL, Handling.IGNORE}:
            continue
        searched.append(node.name)
        shown, rows = _read_table(uow, node, subject_id)
        if not rows:
            continue
        if "channel" in shown:
            sources[node.name] = Counter(str(r["channel"]) for r in rows if r["channel"])
        if "lawful_basis" in shown:
            bases.update(str(r["lawful_basis"]) for r in rows if r["lawful_basis"])
        categories.update(node.categories)
        tables.append(
            TableCopy(
                name=node.name,
                categories=node.categories,
                columns=shown,
                rows=rows,
                withheld=sorted(node.withheld),
                derived=sorted(node.derived),
                kept_after_erasure=node.handling is Handling.KEEP,
            )
        )
    external = [
        s for point in capabilities.extensions(EXTERNAL_ACCESS) for s in point(uow, subject_id)
    ]
    for section in external:
        categories.update(section.get("categories", ()))
    copy = AccessCopy(
        subject_id=subject_id,
        generated_at=uow.clock.now(),
        person=person,
        tables=tables,
        searched=searched,
        external=external,
    )
    record = art15.processing_record(uow, categories, subject_id)
    copy.information = art15.information(
        uow.policy, categories, sources, bases, record, public_url=uow.platform.settings.public_url
    )
    return copy
