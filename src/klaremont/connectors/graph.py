"""The person's rows in one external store: reflected tables, links, and the erasure order.

From the identity tables (rows matched on an identity column) the traversal follows every
reference downwards: a table whose foreign key (reflected with ``MetaData.reflect``, or
declared in the file's ``[[references]]``) points at a table already reached holds the
person's rows too, and so on. The erasure order is a topological sort of those links
(``graphlib``), children first, so one transaction deletes everything without breaking a
constraint -- derived from the store, never written by hand.

A row that must stay (``mask`` or ``keep``) cannot point, through a link that may not be
NULL, at a row that is deleted: such a file is refused naming both tables. Links that may
be NULL are cleared first. Masked columns may not be link columns (an identity column
may be masked: the traversal starts from the identity rows' keys, found first).
"""

from __future__ import annotations

import graphlib
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, false, func, or_

from klaremont.audit.redaction import key_is_forbidden
from klaremont.connectors.datasets import Erasure, TableSpec
from klaremont.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from sqlalchemy import Column, ColumnElement, Connection, Table

    from klaremont.connectors.datasets import Dataset


#: Per table, per referenced column, the values the person's rows hold.
Values = dict[str, dict[str, list[Any]]]


@dataclass(frozen=True)
class Link:
    """``column`` of a table refers to ``parent_column`` of table ``parent``."""

    column: str
    parent: str
    parent_column: str
    nullable: bool


@dataclass(frozen=True)
class Node:
    """One table holding the person's rows."""

    table: Table
    spec: TableSpec
    links: tuple[Link, ...]

    @property
    def name(self) -> str:
        """The table's name."""
        return str(self.table.name)

    @cached_property
    def shown(self) -> list[Column[Any]]:
        """Columns an access copy carries (secrets and credential-like names left out)."""
        return [c for c in self.table.columns if str(c.name) not in self.withheld]

    @cached_property
    def withheld(self) -> frozenset[str]:
        """Columns never shown: declared secret, or named like a credential."""
        names = {str(c.name) for c in self.table.columns if key_is_forbidden(str(c.name))}
        return frozenset(names | set(self.spec.secret))

    def categories(self) -> list[str]:
        """The table's and its columns' data categories."""
        return sorted(set(self.spec.categories) | set(self.spec.columns.values()))

    def pk(self) -> Column[Any]:
        """The single-column primary key (identity tables need one)."""
        columns = list(self.table.primary_key.columns)
        if len(columns) != 1:
            raise ConfigurationError(
                f"table {self.name}: an identity table needs a single-column primary key"
            )
        return columns[0]


@dataclass(frozen=True)
class StoreGraph:
    """Every table of one store holding the person's rows; ``order`` is children first."""

    nodes: dict[str, Node]
    order: tuple[str, ...]

    def top_down(self) -> Iterator[Node]:
        """Tables, parents before children."""
        return (self.nodes[name] for name in reversed(self.order))

    def roots(self) -> list[Node]:
        """The identity tables."""
        return [n for n in self.nodes.values() if n.spec.identity is not None]

    def referenced(self) -> dict[str, set[str]]:
        """Per table, the columns its children's links refer to."""
        needed: dict[str, set[str]] = {}
        for node in self.nodes.values():
            for link in node.links:
                needed.setdefault(link.parent, set()).add(link.parent_column)
        return needed

    def where(
        self, name: str, keys: Mapping[str, Sequence[Any]], values: Values
    ) -> ColumnElement[bool]:
        """The person's rows of ``name``: its identity keys, or a link to a value its parent
        rows hold (``values``, read from the parents first: literal lists, so every term
        is an index look-up)."""
        node = self.nodes[name]
        table = node.table
        terms: list[ColumnElement[bool]] = []
        if node.spec.identity is not None and keys.get(name):
            terms.append(node.pk().in_(list(keys[name])))
        for link in node.links:
            found = values.get(link.parent, {}).get(link.parent_column)
            if found:
                terms.append(table.c[link.column].in_(found))
        if not terms:
            return false()
        return terms[0] if len(terms) == 1 else or_(*terms)


def identity_condition(node: Node, value: str) -> ColumnElement[bool]:
    """The identity column equals ``value`` (case-folded when the file says so)."""
    identity = node.spec.identity
    if identity is None:  # pragma: no cover - only called on identity tables
        raise ConfigurationError(f"table {node.name} has no identity column")
    column = node.table.c[identity.column]
    if identity.casefold:
        return func.lower(column) == value.lower()
    return column == value


def _links(dataset: Dataset, table: Table, metadata: MetaData) -> list[Link]:
    name = str(table.name)
    found = [
        Link(
            str(fk.parent.name),
            str(fk.column.table.name),
            str(fk.column.name),
            bool(fk.parent.nullable),
        )
        for fk in table.foreign_keys
    ]
    for ref in dataset.references:
        if ref.child != name:
            continue
        parent = metadata.tables.get(ref.parent)
        if ref.column not in table.c or parent is None or ref.parent_column not in parent.c:
            raise ConfigurationError(
                f"{dataset.source}: references: {ref.child}.{ref.column} -> "
                f"{ref.parent}.{ref.parent_column} names a table or column the store lacks"
            )
        found.append(
            Link(ref.column, ref.parent, ref.parent_column, bool(table.c[ref.column].nullable))
        )
    return sorted(set(found), key=lambda link: (link.column, link.parent))


def _check_declared(dataset: Dataset, metadata: MetaData) -> None:
    for name, spec in dataset.tables.items():
        table = metadata.tables.get(name)
        if table is None:
            raise ConfigurationError(f"{dataset.source}: tables.{name}: not in the store")
        named = set(spec.columns) | set(spec.mask) | set(spec.secret)
        if spec.identity is not None:
            named.add(spec.identity.column)
        missing = sorted(c for c in named if c not in table.c)
        if missing:
            raise ConfigurationError(
                f"{dataset.source}: tables.{name}: column {missing[0]!r} is not in the store"
            )


def _check_erasure(dataset: Dataset, nodes: dict[str, Node]) -> None:
    for node in nodes.values():
        stays = node.spec.erasure is not Erasure.DELETE
        linked = {link.column for link in node.links}
        for other in nodes.values():
            linked |= {ln.parent_column for ln in other.links if ln.parent == node.name}
        bad = sorted(set(node.spec.mask) & linked)
        if bad:
            raise ConfigurationError(
                f"{dataset.source}: tables.{node.name}.mask: {bad[0]!r} links rows; "
                "it cannot be masked"
            )
        for link in node.links:
            parent = nodes[link.parent]
            if stays and not link.nullable and parent.spec.erasure is Erasure.DELETE:
                raise ConfigurationError(
                    f"{dataset.source}: tables.{node.name}.erasure: its rows stay but point "
                    f"at {link.parent} through {link.column}, which may not be NULL, and "
                    f"{link.parent} is deleted: mask {link.parent} too"
                )


def build(dataset: Dataset, connection: Connection) -> StoreGraph:
    """Reflect the store and derive the person's tables and the erasure order."""
    metadata = MetaData()
    metadata.reflect(bind=connection)
    _check_declared(dataset, metadata)
    links = {str(t.name): _links(dataset, t, metadata) for t in metadata.sorted_tables}
    included = {name for name, spec in dataset.tables.items() if spec.identity is not None}
    grew = True
    while grew:
        grew = False
        for name, found in links.items():
            if name not in included and any(link.parent in included for link in found):
                included.add(name)
                grew = True
    nodes: dict[str, Node] = {}
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name in sorted(included):
        own = tuple(ln for ln in links[name] if ln.parent in included and ln.parent != name)
        nodes[name] = Node(metadata.tables[name], dataset.spec(name), own)
        sorter.add(name)
        for link in own:
            sorter.add(link.parent, name)  # the child is erased before its parent
    try:
        order = tuple(sorter.static_order())
    except graphlib.CycleError as exc:
        raise ConfigurationError(
            f"{dataset.source}: references among the person's tables form a cycle: {exc.args[1]}"
        ) from None
    _check_erasure(dataset, nodes)
    for node in nodes.values():
        if node.spec.identity is not None:
            pk = node.pk()
            if str(pk.name) == node.spec.identity.column:
                raise ConfigurationError(
                    f"{dataset.source}: tables.{node.name}.identity: the identity column is "
                    "the primary key; a surrogate key is needed (it is what a retry records)"
                )
    return StoreGraph(nodes, order)
