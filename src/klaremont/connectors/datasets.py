"""External stores declared as data: one TOML file per store.

A file names the store, the environment variable holding its SQLAlchemy URL (never the URL
or a password itself; a SQLite store, which has no credentials, may name its file
instead), the country it is in (the transfer guard asks about it), and its tables: which
identify the person (an identity column matched to the e-mail address or the account
reference the customers capability gives), the data category of each table and column,
the columns never shown (secrets), and what erasure does (``delete``; ``mask``: columns set
to NULL or a fixed value where the row must stay; ``keep``). Foreign keys are reflected
from the store; ``[[references]]`` adds links the store does not declare.

Where the files are: the setting ``KLAREMONT_DATASETS_FILE`` (a file, or a folder of
``*.toml``), else the ``datasets`` folder of the var directory. A malformed file is refused
naming the file, the field and the rule.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from klaremont.errors import ConfigurationError

NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,99}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")


class Erasure(StrEnum):
    """What erasure does with a table's rows of the person."""

    DELETE = "delete"
    MASK = "mask"  # the row stays; the masked columns are set to NULL or a fixed value
    KEEP = "keep"  # the row stays untouched (nothing personal of its own)


class Match(StrEnum):
    """What an identity column holds, of what Klaremont knows about the person."""

    EMAIL = "email"
    REFERENCE = "reference"  # the customer account reference (C0001234)
    SUBJECT = "subject"  # Klaremont's data-subject id, as text


@dataclass(frozen=True)
class Identity:
    """A column of an identity table and what it is matched to."""

    column: str
    match: Match
    casefold: bool = False


@dataclass(frozen=True)
class TableSpec:
    """What the file declares about one table."""

    name: str
    categories: tuple[str, ...] = ()
    columns: dict[str, str] = field(default_factory=dict)  # column -> data category
    identity: Identity | None = None
    erasure: Erasure = Erasure.DELETE
    mask: dict[str, Any] = field(default_factory=dict)  # column -> value (None: NULL)
    secret: frozenset[str] = frozenset()
    declared: bool = True


@dataclass(frozen=True)
class Reference:
    """A link the store does not declare as a foreign key: ``child.column -> parent.column``."""

    child: str
    column: str
    parent: str
    parent_column: str


@dataclass(frozen=True)
class Dataset:
    """One external store."""

    name: str
    url_env: str | None
    country: str
    source: str
    tables: dict[str, TableSpec]
    sqlite_file: Path | None = None  # a SQLite file (no credentials): beside the file
    references: tuple[Reference, ...] = ()
    description: str = ""
    recipient: str | None = None  # who runs it (a processor's key or host), for the guard

    def url(self) -> str:
        """The store's SQLAlchemy URL, read from its environment variable."""
        if self.sqlite_file is not None:
            return f"sqlite:///{self.sqlite_file}"
        value = os.environ.get(self.url_env or "", "").strip()
        if not value:
            raise ConfigurationError(
                f"store {self.name!r}: the environment variable {self.url_env} "
                "(its SQLAlchemy URL) is not set"
            )
        return value

    def spec(self, table: str) -> TableSpec:
        """The declared spec of ``table``, or the defaults for an undeclared one."""
        return self.tables.get(table) or TableSpec(name=table, declared=False)


def _fail(source: str, where: str, rule: str) -> ConfigurationError:
    return ConfigurationError(f"{source}: {where}: {rule}")


def _strings(source: str, where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _fail(source, where, "a name or a list of names")


def _identity(source: str, where: str, raw: Any) -> Identity:
    if not isinstance(raw, dict) or not isinstance(raw.get("column"), str):
        raise _fail(source, where, "a table { column = ..., match = email|reference|subject }")
    try:
        match = Match(raw.get("match", "email"))
    except ValueError:
        raise _fail(source, f"{where}.match", "one of email, reference, subject") from None
    return Identity(raw["column"], match, bool(raw.get("casefold", False)))


def _mask(source: str, where: str, raw: Any) -> dict[str, Any]:
    if isinstance(raw, list):
        return {str(_strings(source, where, name)[0]): None for name in raw}
    if isinstance(raw, dict):
        masks: dict[str, Any] = {}
        for name, value in raw.items():
            if not isinstance(value, str | int | float | bool):
                raise _fail(source, f"{where}.{name}", "a fixed value (text or number)")
            masks[str(name)] = value
        return masks
    raise _fail(source, where, "a list of columns set to NULL, or a table column = value")


def _table(source: str, name: str, raw: Any) -> TableSpec:
    where = f"tables.{name}"
    if not isinstance(raw, dict):
        raise _fail(source, where, "a table")
    unknown = set(raw) - {"category", "columns", "identity", "erasure", "mask", "secret"}
    if unknown:
        raise _fail(source, f"{where}.{min(unknown)}", "unknown key")
    try:
        erasure = Erasure(raw.get("erasure", "delete"))
    except ValueError:
        raise _fail(source, f"{where}.erasure", "one of delete, mask, keep") from None
    columns = raw.get("columns", {})
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise _fail(source, f"{where}.columns", "a table column = data category")
    mask = _mask(source, f"{where}.mask", raw.get("mask", []))
    if erasure is Erasure.MASK and not mask:
        raise _fail(source, f"{where}.mask", "required when erasure is mask: the columns")
    if erasure is not Erasure.MASK and mask:
        raise _fail(source, f"{where}.mask", "only with erasure = mask")
    return TableSpec(
        name=name,
        categories=_strings(source, f"{where}.category", raw.get("category", [])),
        columns={str(k): str(v) for k, v in columns.items()},
        identity=_identity(source, f"{where}.identity", raw["identity"])
        if "identity" in raw
        else None,
        erasure=erasure,
        mask=mask,
        secret=frozenset(_strings(source, f"{where}.secret", raw.get("secret", []))),
    )


def _reference(source: str, index: int, raw: Any) -> Reference:
    where = f"references[{index}]"
    if not isinstance(raw, dict):
        raise _fail(source, where, "a table { from = 'child.column', to = 'parent.column' }")
    ends = []
    for key in ("from", "to"):
        value = raw.get(key)
        if not isinstance(value, str) or value.count(".") != 1:
            raise _fail(source, f"{where}.{key}", "'table.column'")
        ends.extend(value.split("."))
    return Reference(*ends)


def parse(text: str, source: str) -> Dataset:
    """One store from its TOML text (``source`` names the file in errors)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(source, "file", f"not valid TOML ({exc})") from None
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise _fail(source, "name", "lower-case letters, digits, - or _ (at most 40)")
    url_env = raw.get("url_env")
    sqlite_file = raw.get("sqlite_file")
    if sqlite_file is not None:
        if not isinstance(sqlite_file, str) or url_env is not None:
            raise _fail(source, "sqlite_file", "a file name, instead of url_env")
    elif not isinstance(url_env, str) or not ENV_NAME.match(url_env):
        raise _fail(source, "url_env", "the NAME of the environment variable holding the URL")
    if "url" in raw:
        raise _fail(source, "url", "never in the file: name its environment variable in url_env")
    country = raw.get("country")
    if not isinstance(country, str) or not COUNTRY.match(country):
        raise _fail(source, "country", "an ISO 3166-1 alpha-2 code such as GB")
    tables_raw = raw.get("tables")
    if not isinstance(tables_raw, dict) or not tables_raw:
        raise _fail(source, "tables", "at least one table")
    tables = {str(n): _table(source, str(n), t) for n, t in tables_raw.items()}
    if not any(t.identity for t in tables.values()):
        raise _fail(source, "tables", "at least one table needs an identity column")
    references = tuple(_reference(source, i, r) for i, r in enumerate(raw.get("references", [])))
    recipient = raw.get("recipient")
    return Dataset(
        name=name,
        url_env=url_env,
        country=country,
        source=source,
        tables=tables,
        references=references,
        description=str(raw.get("description", "")),
        recipient=str(recipient) if recipient else None,
        sqlite_file=Path(source).parent / sqlite_file if sqlite_file else None,
    )


def files(path: Path) -> list[Path]:
    """The dataset files at ``path`` (a file, or a folder's ``*.toml``), in name order."""
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(path.glob("*.toml"))
    return []


_PARSED: dict[tuple[str, int, int], Dataset] = {}


def _parsed(file: Path) -> Dataset:
    """One file, parsed again only when it changes (size or modification time)."""
    stat = file.stat()
    key = (str(file), stat.st_mtime_ns, stat.st_size)
    found = _PARSED.get(key)
    if found is None:
        found = parse(file.read_text(encoding="utf-8"), str(file))
        _PARSED[key] = found
    return found


def load(path: Path) -> list[Dataset]:
    """Every store declared at ``path``; two stores of one name are refused."""
    found: dict[str, Dataset] = {}
    for file in files(path):
        dataset = _parsed(file)
        if dataset.name in found:
            raise _fail(str(file), "name", f"store {dataset.name!r} is declared twice")
        found[dataset.name] = dataset
    return list(found.values())
