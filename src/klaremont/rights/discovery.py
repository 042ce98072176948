"""Where a person's data lives, found from the schema so new capabilities are included.

Every table whose ``subject_id`` column is a foreign key to ``data_subjects`` holds the
subject's rows directly (staff accounts carry a ``subject_id`` of their own, with no such
key, and are not customers' data); every table
with a foreign key to one of those (``order_lines`` -> ``orders``) holds them indirectly,
and so on down. Tables tag themselves through ``Table.info`` (:mod:`klaremont.db.tags`).
The deletion order is a topological sort of the foreign keys among these tables, children
first, so one transaction can delete them all without breaking a constraint.
"""

from __future__ import annotations

import graphlib
import importlib
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select

from klaremont.audit.redaction import key_is_forbidden
from klaremont.db.base import Base
from klaremont.db.registry import load_all_models
from klaremont.db.subjects import Subject
from klaremont.db.tags import DATA_CATEGORY, RIGHTS, Handling
from klaremont.errors import ConfigurationError

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence

    from sqlalchemy import Column, Select, Table

SUBJECT_COLUMN = "subject_id"

#: Categories of the tables whose owners have not tagged them (yet).
DEFAULT_CATEGORIES: dict[str, tuple[str, ...]] = {
    "data_subjects": ("identity",),
    "customers": ("identity", "contact", "account_password"),
    "addresses": ("address",),
    "orders": ("orders",),
    "order_lines": ("orders",),
    "invoices": ("invoices",),
    "payment_cards": ("payment_cards",),
    "contact_records": ("support_contacts",),
    "marketing_consents": ("marketing_preferences", "consent_records"),
    "cookie_consents": ("consent_records",),
    "mail_outbox": ("contact",),
}
#: Columns that date a row for a legal hold counted from creation, in order of preference.
HOLD_CLOCK_COLUMNS = ("issued_at", "created_at", "recorded_at", "placed_at", "collected_at")


@dataclass(frozen=True)
class Link:
    """A foreign key from a subject table to another subject table."""

    column: Column[Any]
    parent: str
    nullable: bool


@dataclass(frozen=True)
class SubjectTable:
    """One table holding a person's rows, and how to reach and handle them."""

    table: Table
    handling: Handling
    categories: tuple[str, ...]
    direct: bool  # has its own subject_id column
    links: tuple[Link, ...]  # foreign keys to other subject tables
    pk: Column[Any]
    sealed: frozenset[str]  # ciphertext columns (named like their fields)
    derived: frozenset[str]  # blind-index columns, derived from sealed values
    withheld: frozenset[str]  # credentials: never exported (password hashes, tokens)

    @property
    def name(self) -> str:
        """The table's name."""
        return str(self.table.name)

    @property
    def personal(self) -> bool:
        """True when its rows carry personal values of their own (a subject or sealed values)."""
        return self.direct or bool(self.sealed)

    def hold_clock(self) -> Column[Any] | None:
        """The column a creation-based legal hold counts from, if the table has one."""
        for name in HOLD_CLOCK_COLUMNS:
            if name in self.table.c:
                return self.table.c[name]
        return None


@dataclass(frozen=True)
class SubjectGraph:
    """Every subject table, with the deletion order (children before parents)."""

    tables: dict[str, SubjectTable]
    delete_order: tuple[str, ...]

    def __iter__(self) -> Any:
        """Tables, parents before children (the reverse of the deletion order)."""
        return (self.tables[name] for name in reversed(self.delete_order))

    def ids(self, name: str, subject_id: uuid.UUID) -> Select[Any]:
        """``SELECT pk`` of the subject's rows in table ``name`` (subqueries, no round trips)."""
        node = self.tables[name]
        if node.direct:
            return select(node.pk).where(node.table.c[SUBJECT_COLUMN] == subject_id)
        reached = [link.column.in_(self.ids(link.parent, subject_id)) for link in node.links]
        return select(node.pk).where(or_(*reached))

    def rows(
        self, name: str, subject_id: uuid.UUID, columns: Sequence[Column[Any]] | None = None
    ) -> Select[Any]:
        """``SELECT`` (all or ``columns``) of the subject's rows in ``name``, in key order."""
        node = self.tables[name]
        table = node.table
        if node.direct:
            where = table.c[SUBJECT_COLUMN] == subject_id
        else:
            where = or_(
                *[link.column.in_(self.ids(link.parent, subject_id)) for link in node.links]
            )
        query = select(*columns) if columns is not None else select(table)
        return query.where(where).order_by(node.pk)


def _handling(table: Table) -> Handling:
    value = table.info.get(RIGHTS, Handling.DEFAULT.value)
    try:
        return Handling(value)
    except ValueError:
        raise ConfigurationError(f"{table.name}: info['rights'] {value!r} is unknown") from None


def _categories(table: Table) -> tuple[str, ...]:
    tagged = table.info.get(DATA_CATEGORY)
    if isinstance(tagged, str):
        return (tagged,)
    if isinstance(tagged, list | tuple):
        return tuple(str(c) for c in tagged)
    return DEFAULT_CATEGORIES.get(str(table.name), ())


def _mapped_classes() -> dict[str, type[Any]]:
    classes: dict[str, type[Any]] = {}
    for mapper in Base.registry.mappers:
        local = mapper.local_table
        name = getattr(local, "name", None)
        if name is not None:
            classes.setdefault(str(name), mapper.class_)
    return classes


def _sealed_columns(cls: type[Any] | None) -> tuple[frozenset[str], frozenset[str]]:
    fields = getattr(cls, "__sealed_fields__", {}) if cls is not None else {}
    sealed = frozenset(f.name for f in fields.values())
    derived = frozenset(f.index_attr for f in fields.values() if f.index_attr)
    return sealed, derived


def _is_direct(table: Table) -> bool:
    """True when ``subject_id`` is a foreign key to ``data_subjects.id``."""
    column = table.c.get(SUBJECT_COLUMN)
    if column is None:
        return False
    return any(fk.column.table is Subject.__table__ for fk in column.foreign_keys)


def _single_pk(table: Table) -> Column[Any]:
    columns = list(table.primary_key.columns)
    if len(columns) != 1:
        raise ConfigurationError(
            f"{table.name}: a table holding a person's rows needs a single-column primary key"
        )
    return columns[0]


@cache
def subject_graph() -> SubjectGraph:
    """Discover every subject table from the loaded models (computed once per process)."""
    load_all_models()
    importlib.import_module("klaremont.customers.categories")  # tags the customer tables
    subjects = Subject.__table__
    candidates = [
        t
        for t in Base.metadata.sorted_tables
        if t is not subjects and _handling(t) is not Handling.IGNORE
    ]
    included: dict[str, Table] = {str(t.name): t for t in candidates if _is_direct(t)}
    grew = True
    while grew:
        grew = False
        for table in candidates:
            name = str(table.name)
            if name in included:
                continue
            if any(fk.column.table.name in included for fk in table.foreign_keys):
                included[name] = table
                grew = True
    classes = _mapped_classes()
    nodes: dict[str, SubjectTable] = {}
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name, table in included.items():
        links = tuple(
            Link(fk.parent, str(fk.column.table.name), bool(fk.parent.nullable))
            for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name)
            if fk.column.table.name in included and fk.column.table.name != name
        )
        sealed, derived = _sealed_columns(classes.get(name))
        withheld = frozenset(str(c.name) for c in table.columns if key_is_forbidden(str(c.name)))
        nodes[name] = SubjectTable(
            table=table,
            handling=_handling(table),
            categories=_categories(table),
            direct=_is_direct(table),
            links=links,
            pk=_single_pk(table),
            sealed=sealed,
            derived=derived,
            withheld=withheld,
        )
        sorter.add(name)
        for link in links:
            sorter.add(link.parent, name)  # the child (this table) is deleted before its parent
    try:
        order = tuple(sorter.static_order())
    except graphlib.CycleError as exc:
        raise ConfigurationError(
            f"foreign keys among subject tables form a cycle: {exc.args[1]}"
        ) from None
    return SubjectGraph(tables=nodes, delete_order=order)
