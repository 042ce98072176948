"""A PostgreSQL database scanned with worker processes: tables in ranges of pages.

With ``jobs`` > 1 the engine scans each table of more than ``databases.SHARE_PAGES`` pages
in TID ranges (``ctid >= '(a,0)' AND ctid < '(b,0)'``, the last range open-ended), each
share on a connection of its own in a worker process. ``SHARE_PAGES`` is lowered here so a
table of a few hundred rows makes several shares (the workers are forked, so they see the
lowered value). Whatever the split, the result must be the one process's: the same findings
in the same order, the same counts and byte totals, the same problem lines.

Each test makes scratch databases of its own (dropped at the end WITH (FORCE)); they need
the PostgreSQL test backend and skip on the SQLite run.
"""

from __future__ import annotations

import math
import os
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

from backend_support import BACKEND, pg_admin, pg_url
from klaremont.detectors.bulk import kinds_of
from klaremont.detectors.kinds import Group, Kind
from klaremont.scan import databases, engine
from klaremont.scan.findings import ScanResult
from klaremont.testing.scan_values import luhn_completed

CARDS = kinds_of([Group.CARDS])
MAIL = frozenset({Kind.EMAIL})
SHARE = 2  # pages a share, in these tests
UNREACHABLE = "postgresql+psycopg://nobody:pw@127.0.0.1:1/none"
# ctid >= '(a,0)'::tid, then (all but the last range) AND ctid < '(b,0)'::tid
BOUND = re.compile(r" WHERE ctid >= '\((\d+),0\)'::tid(?: AND ctid < '\((\d+),0\)'::tid)?$")

needs_postgresql = pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="scans PostgreSQL databases in shares of pages with worker processes: needs the "
    "PostgreSQL test backend (run with KLAREMONT_TEST_DATABASE=postgresql); the SQLite run "
    "covers workers in tests/scan/test_scan_sqlite_parallel.py",
)


def _card(n: int) -> str:
    """A live Visa number of its own for ``n`` < 1000 (its last four differ from every other
    ``n``'s)."""
    return luhn_completed(f"455673758{n:06d}")


@pytest.fixture(autouse=True)
def small_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shares of SHARE pages (forked workers inherit the patched module)."""
    monkeypatch.setattr(databases, "SHARE_PAGES", SHARE)


@pytest.fixture
def scratch() -> Iterator[Callable[[], str]]:
    """Makes empty PostgreSQL databases of this test's own; drops them afterwards."""
    made: list[str] = []

    def make() -> str:
        name = f"kt_scanpg_{uuid.uuid4().hex[:12]}"
        pg_admin(f'CREATE DATABASE "{name}"')
        made.append(name)
        return pg_url(name)

    yield make
    for name in made:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _execute(url: str, *statements: str, **params: Any) -> None:
    """Run ``statements`` in autocommit (so VACUUM can be one of them)."""
    db = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with db.connect() as conn:
            for statement in statements:
                conn.execute(text(statement), params)
    finally:
        db.dispose()


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    db = create_engine(url)
    try:
        with db.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        db.dispose()


def _pages(url: str, table: str) -> int:
    sql = f"SELECT pg_relation_size('{table}'::regclass) / current_setting('block_size')::int"
    return int(_query(url, sql)[0][0])


def _run(
    targets: str | tuple[str, ...],
    jobs: int,
    *,
    detail: int = 10_000,
    kinds: frozenset[Kind] = CARDS,
    sample: float | None = None,
) -> ScanResult:
    urls = (targets,) if isinstance(targets, str) else targets
    return engine.run(engine.ScanRequest(urls, kinds, jobs=jobs, detail=detail, sample=sample))


def _places(result: ScanResult) -> list[tuple[Any, ...]]:
    return [(f.kind, f.table, f.column, f.key, f.sample) for f in result.findings]


def _summary(result: ScanResult) -> tuple[Any, ...]:
    """Everything a scan's result says, but the times."""
    sources = {name: (dict(s.counts), s.bytes) for name, s in sorted(result.sources.items())}
    return (result.findings, sources, dict(result.counts()), result.bytes, result.problems)


# card rows: orders every 9th id, ledger every 11th amount, shop.ticket every 25th id
ORDERS_DELETED = "id BETWEEN 120 AND 185 OR id % 13 = 0"
ORDERS_CARDS = [i for i in range(1, 421) if i % 9 == 0 and not (120 <= i <= 185 or i % 13 == 0)]
TABLES = ["blobs", "ledger", "orders", "settings", "shop.ticket"]  # the order they are read in


def _build_shop(url: str) -> dict[str, list[str]]:
    """A database with a table of 420 rows over many pages with rows deleted from its middle
    (vacuumed, so its pages have holes, a whole page or more of them empty), one without a
    primary key (ctid keys) with rows deleted too, one with a card in a bytea column, a small
    one, and one in a schema of its own; the keys each table's live cards sit at, in the
    order one process reads them."""
    _execute(
        url,
        "CREATE TABLE orders (id int PRIMARY KEY, note text, pan text)",
        "CREATE TABLE ledger (memo text, amount int)",
        "CREATE TABLE blobs (id int PRIMARY KEY, label text, raw bytea)",
        "CREATE TABLE settings (name text PRIMARY KEY, value text)",
        "CREATE SCHEMA shop",
        "CREATE TABLE shop.ticket (id int PRIMARY KEY, body text, n int)",
    )
    db = create_engine(url)
    try:
        with db.begin() as conn:
            conn.execute(
                text("INSERT INTO orders (id, note, pan) VALUES (:id, :note, :pan)"),
                [
                    {
                        "id": i,
                        "note": f"order {i} " + "x" * 150,
                        "pan": f"paid with {_card(i)} ok" if i % 9 == 0 else None,
                    }
                    for i in range(1, 421)
                ],
            )
            conn.execute(
                text("INSERT INTO ledger (memo, amount) VALUES (:memo, :amount)"),
                [
                    {
                        "memo": (f"refund to {_card(500 + i)} " if i % 11 == 0 else f"memo {i} ")
                        + "y" * 100,
                        "amount": i,
                    }
                    for i in range(1, 181)
                ],
            )
            conn.execute(
                text("INSERT INTO blobs (id, label, raw) VALUES (:id, :label, :raw)"),
                [
                    {
                        "id": i,
                        "label": f"blob {i}",
                        "raw": f"pan {_card(990)} end".encode() if i == 3 else b"\x00\x01clean",
                    }
                    for i in range(1, 6)
                ],
            )
            conn.execute(
                text("INSERT INTO settings (name, value) VALUES (:name, :value)"),
                [
                    {"name": "theme", "value": "dark"},
                    {"name": "fallback card", "value": f"card {_card(999)}"},
                    {"name": "zone", "value": "UK"},
                ],
            )
            conn.execute(
                text("INSERT INTO shop.ticket (id, body, n) VALUES (:id, :body, :id)"),
                [
                    {
                        "id": i,
                        "body": (f"card {_card(700 + i)} " if i % 25 == 0 else f"ticket {i} ")
                        + "z" * 120,
                    }
                    for i in range(1, 251)
                ],
            )
    finally:
        db.dispose()
    _execute(
        url,
        f"DELETE FROM orders WHERE {ORDERS_DELETED}",
        "DELETE FROM ledger WHERE amount BETWEEN 60 AND 68",
        "VACUUM orders, ledger",
    )
    # in the order of their places (ORDER BY ctid would sort the text the query returns)
    ledger = _query(
        url,
        "SELECT ctid::text AS place FROM ledger WHERE memo LIKE 'refund%' ORDER BY ledger.ctid",
    )
    return {
        "blobs": ["3"],
        "ledger": [r[0] for r in ledger],
        "orders": [str(i) for i in ORDERS_CARDS],
        "settings": ["fallback card"],
        "shop.ticket": [str(i) for i in range(25, 251, 25)],
    }


def _spied_shares(monkeypatch: pytest.MonkeyPatch, log: Path) -> Callable[[], list[list[str]]]:
    """Record each share scanned (the process, the table, its range or "whole") in ``log``;
    workers write there too (they are forked after the patch)."""
    real = databases._scan_pg_share

    def spy(connection: Connection, share: databases.Share, *args: Any, **kwargs: Any) -> None:
        bound = BOUND.search(share.sql)
        where = f"{bound.group(1)}-{bound.group(2) or ''}" if bound else "whole"
        with log.open("a") as out:
            out.write(f"{os.getpid()} {share.table} {where}\n")
        real(connection, share, *args, **kwargs)

    monkeypatch.setattr(databases, "_scan_pg_share", spy)

    def read() -> list[list[str]]:
        lines = [line.split(" ") for line in log.read_text().splitlines()]
        log.unlink()
        return lines

    return read


@pytest.mark.postgres_only
@needs_postgresql
@pytest.mark.policy("IS-SENS-SAFE")
def test_page_shares_in_workers_find_what_one_process_finds(
    scratch: Callable[[], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table over many pages with holes, ctid keys, a bytea card, a schema of its own, a
    small table: jobs=2 gives jobs=1's findings (kind, table, column, key, sample, order),
    counts and byte totals; the large tables really went out in ranges of pages."""
    url = scratch()
    keys = _build_shop(url)
    pages = {t: _pages(url, t) for t in TABLES}
    assert all(pages[t] > SHARE for t in ("orders", "ledger", "shop.ticket")), pages
    assert all(pages[t] <= SHARE for t in ("blobs", "settings")), pages
    read_shares = _spied_shares(monkeypatch, tmp_path / "shares.log")

    alone = _run(url, 1)
    in_parent = read_shares()
    assert {(pid, where) for pid, _, where in in_parent} == {(str(os.getpid()), "whole")}
    assert [t for _, t, _ in in_parent] == TABLES

    assert [(f.table, f.key) for f in alone.findings] == [(t, k) for t in TABLES for k in keys[t]]
    columns = {"blobs": "raw", "ledger": "memo", "orders": "pan", "settings": "value"}
    assert {(f.table, f.column) for f in alone.findings} == {
        *columns.items(),
        ("shop.ticket", "body"),
    }
    assert all(re.fullmatch(r"\(\d+,\d+\)", k) for k in keys["ledger"])
    assert len({f.sample for f in alone.findings}) == len(alone.findings)
    assert alone.counts() == {Kind.CARD: len(alone.findings)}
    assert not alone.problems

    shared = _run(url, 2)
    assert _places(shared) == _places(alone)
    assert _summary(shared) == _summary(alone)
    scanned = read_shares()
    assert all(pid != str(os.getpid()) for pid, _, _ in scanned), "scanned in the parent"
    by_table = Counter(t for _, t, _ in scanned)
    assert by_table == {t: max(1, math.ceil(pages[t] / SHARE)) for t in TABLES}
    assert by_table["orders"] > 1
    assert by_table["ledger"] > 1
    assert by_table["shop.ticket"] > 1


# ---------------------------------------------------------------------- the shares


def _rows(conn: Connection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(text(sql))]


def _ranges(parts: list[databases.Share], whole: databases.Share) -> list[tuple[int, int | None]]:
    """Each part's range of pages (the end None when open), its SQL the whole share's plus
    the range."""
    ranges: list[tuple[int, int | None]] = []
    for part in parts:
        assert part.sql.startswith(whole.sql)
        bound = BOUND.fullmatch(part.sql[len(whole.sql) :])
        assert bound is not None, part.sql
        end = bound.group(2)
        ranges.append((int(bound.group(1)), None if end is None else int(end)))
    return ranges


PLAIN_KEYS = {
    "blobs": "SELECT id::text FROM blobs",
    "ledger": "SELECT ctid::text FROM ledger",
    "orders": "SELECT id::text FROM orders",
    "settings": "SELECT name FROM settings",
    "shop.ticket": "SELECT id::text FROM shop.ticket",
}


@pytest.mark.postgres_only
@needs_postgresql
@pytest.mark.policy("IS-SENS-SAFE")
def test_split_shares_cover_every_row_once(scratch: Callable[[], str]) -> None:
    """split=True: each table of more than SHARE_PAGES pages in ranges of pages that follow
    each other from page 0, the last one open-ended, each read as a TID range scan; together
    they read every row once (what a plain SELECT reads); small tables whole. split=False:
    one whole share a table."""
    url = scratch()
    _build_shop(url)
    pages = {t: _pages(url, t) for t in TABLES}
    db = create_engine(url)
    try:
        with db.connect() as conn:
            whole = databases.postgresql_shares(conn, sample=None, split=False)
            assert [s.table for s in whole] == TABLES
            assert all(" ctid >= " not in s.sql for s in whole)
            split = databases.postgresql_shares(conn, sample=None, split=True)
            # the tables in the same order, each table's shares together
            assert [s.table for s in split] == [
                t for t in TABLES for _ in range(max(1, math.ceil(pages[t] / SHARE)))
            ]
            for share in whole:
                parts = [s for s in split if s.table == share.table]
                assert all(p.columns == share.columns for p in parts)
                if pages[share.table] <= SHARE:
                    assert parts == [share]
                    continue
                ranges = _ranges(parts, share)
                assert [start for start, _ in ranges] == list(range(0, pages[share.table], SHARE))
                assert [end for _, end in ranges[:-1]] == [
                    start + SHARE for start, _ in ranges[:-1]
                ]
                assert ranges[-1][1] is None  # open-ended
                read = [row for p in parts for row in _rows(conn, p.sql)]
                assert sorted(read) == sorted(_rows(conn, share.sql))
                keys = [row[0] for row in read]
                assert len(keys) == len(set(keys))
                assert sorted(keys) == sorted(r[0] for r in _rows(conn, PLAIN_KEYS[share.table]))
                plan = " ".join(r[0] for r in _rows(conn, f"EXPLAIN {parts[1].sql}"))
                assert "Tid Range Scan" in plan, plan  # reads its pages, not the whole table
            # the emptied middle pages of orders: some share reads fewer rows than another
            counts = [len(_rows(conn, p.sql)) for p in split if p.table == "orders"]
            assert min(counts[:-1]) < max(counts[:-1])
    finally:
        db.dispose()


@pytest.mark.postgres_only
@needs_postgresql
def test_the_last_range_takes_rows_added_after_the_shares_were_made(
    scratch: Callable[[], str],
) -> None:
    """Rows written past the table's last page after the shares were made (as while a scan
    runs) are read by the last, open-ended range."""
    url = scratch()
    _build_shop(url)
    db = create_engine(url)
    try:
        with db.connect() as conn:
            parts = [
                s
                for s in databases.postgresql_shares(conn, sample=None, split=True)
                if s.table == "orders"
            ]
            before = _pages(url, "orders")
            _execute(
                url,
                "INSERT INTO orders (id, note) "
                "SELECT g, 'late ' || repeat('q', 400) FROM generate_series(1001, 1200) g",
            )
            assert _pages(url, "orders") > before + SHARE
            read = [[row[0] for row in _rows(conn, p.sql)] for p in parts]
            # the rows past the pages the shares were made for: all in the last range
            past = _rows(
                conn,
                f"SELECT id::text FROM orders WHERE ctid >= '({before},0)'::tid",
            )
            assert len(past) > SHARE
            assert {r[0] for r in past} <= set(read[-1])
            everything = [k for keys in read for k in keys]
            assert sorted(everything) == sorted(r[0] for r in _rows(conn, PLAIN_KEYS["orders"]))
            assert len(everything) == len(set(everything))
    finally:
        db.dispose()


@pytest.mark.postgres_only
@needs_postgresql
def test_with_a_sample_no_table_is_split(scratch: Callable[[], str]) -> None:
    """``sample`` (TABLESAMPLE SYSTEM) reads each table whole even with split=True: one
    share a table, as without split."""
    url = scratch()
    _build_shop(url)
    db = create_engine(url)
    try:
        with db.connect() as conn:
            sampled = databases.postgresql_shares(conn, sample=50.0, split=True)
            assert sampled == databases.postgresql_shares(conn, sample=50.0, split=False)
            assert [s.table for s in sampled] == TABLES
            assert all(s.sql.endswith(" TABLESAMPLE SYSTEM (50.0)") for s in sampled)
            assert all(" ctid >= " not in s.sql for s in sampled)
    finally:
        db.dispose()
    # a sample of 100% reads every row: in whole-table shares in the workers, what one
    # process reads without a sample
    alone = _run(url, 1)
    assert alone.findings
    assert _summary(_run(url, 2, sample=100.0)) == _summary(alone)


# ---------------------------------------------------------------------- the detail limit


def _table_of(url: str, rows: list[tuple[int, str]], table: str = "t", pad: int = 600) -> None:
    """A table of ``rows`` (id, value), each value padded so the table spans many pages."""
    _execute(url, f"CREATE TABLE {table} (id int PRIMARY KEY, a text)")
    db = create_engine(url)
    try:
        with db.begin() as conn:
            conn.execute(
                text(f"INSERT INTO {table} (id, a) VALUES (:id, :a)"),
                [{"id": i, "a": f"{value} " + "p" * pad} for i, value in rows],
            )
    finally:
        db.dispose()
    assert _pages(url, table) > SHARE


@pytest.mark.postgres_only
@needs_postgresql
@pytest.mark.policy("IS-SENS-SAFE")
def test_more_cards_than_the_detail_are_listed_with_workers_as_alone(
    scratch: Callable[[], str],
) -> None:
    """Sixty live cards over several shares, the default detail of 50: every one listed at
    its row and sixty counted, with jobs=2 as with jobs=1."""
    url = scratch()
    _table_of(url, [(i, f"pan {_card(i)}") for i in range(1, 61)])
    request = engine.ScanRequest((url,), CARDS)
    assert request.detail == 50
    alone = engine.run(request)
    assert [f.key for f in alone.findings] == [str(i) for i in range(1, 61)]
    assert alone.counts() == {Kind.CARD: 60}
    shared = engine.run(engine.ScanRequest((url,), CARDS, jobs=2))
    assert _summary(shared) == _summary(alone)


@pytest.mark.postgres_only
@needs_postgresql
def test_the_detail_limit_on_personal_data_holds_in_total_over_shares_and_tables(
    scratch: Callable[[], str],
) -> None:
    """E-mail addresses in every row of a table of many shares and of a table after it:
    jobs=2 lists the first ``detail`` of them in key order, as jobs=1 does, none of the
    second table, and counts every one."""
    url = scratch()
    _table_of(url, [(i, f"user{i}@example.co.uk") for i in range(1, 301)], "people", pad=200)
    _table_of(url, [(i, f"guest{i}@example.co.uk") for i in range(1, 41)], "visitors")
    alone = _run(url, 1, detail=7, kinds=MAIL)
    assert [(f.table, f.key) for f in alone.findings] == [("people", str(i)) for i in range(1, 8)]
    assert alone.counts() == {Kind.EMAIL: 340}
    shared = _run(url, 2, detail=7, kinds=MAIL)
    assert _summary(shared) == _summary(alone)


@pytest.mark.postgres_only
@needs_postgresql
@pytest.mark.parametrize(
    ("kinds", "detail", "value"),
    [
        pytest.param(
            CARDS | MAIL, 50, lambda i: f"pan {_card(i)} mail user{i}@example.co.uk", id="cards"
        ),
        pytest.param(
            frozenset({Kind.EMAIL, Kind.PHONE}),
            7,
            lambda i: f"mail user{i}@example.co.uk call 07700 900{i:03d}",
            id="two-kinds",
        ),
    ],
)
def test_personal_data_beside_other_hits_is_listed_with_workers_as_alone(
    scratch: Callable[[], str], kinds: frozenset[Kind], detail: int, value: Callable[[int], str]
) -> None:
    """Each row holds a card and an e-mail address (sixty rows, detail 50), or an e-mail
    address and a phone number (detail 7): jobs=2 lists what jobs=1 lists."""
    url = scratch()
    _table_of(url, [(i, value(i)) for i in range(1, 61)])
    alone = _run(url, 1, detail=detail, kinds=kinds)
    assert len(alone.findings) > detail
    shared = _run(url, 2, detail=detail, kinds=kinds)
    assert Counter(f.kind for f in shared.findings) == Counter(f.kind for f in alone.findings)
    assert _summary(shared) == _summary(alone)


# ---------------------------------------------------------------------- what cannot be read


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(UNREACHABLE, id="port-closed"),
        pytest.param(
            pg_url("kt_scanpg_no_such_database"),
            id="no-such-database",
            marks=[pytest.mark.postgres_only, needs_postgresql],
        ),
    ],
)
def test_an_unreachable_database_gives_the_problem_line_with_workers_too(
    target: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """A port nothing listens on (no server needed), a server without that database: the
    problem line without the password, no findings and no traceback, jobs=2 as jobs=1."""
    alone = _run(target, 1)
    shown = databases.safe_url(target)
    assert alone.problems == [f"{shown} could not be reached or read"]
    assert "pw" not in shown
    assert not alone.findings
    assert not alone.clean
    shared = _run(target, 2)
    assert _summary(shared) == _summary(alone)
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.postgres_only
@needs_postgresql
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_share_failing_in_a_worker_gives_the_problem_line_and_the_next_database_is_read(
    scratch: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    jobs: int,
) -> None:
    """The server refuses one share's read (a statement that fails, run on the share's own
    connection; one process: the whole table's): the error comes back from the worker as
    a problem line for that database, no traceback, and the next database is still read."""
    bad, good = scratch(), scratch()
    _table_of(bad, [(i, f"pan {_card(i)}" if i % 7 == 0 else "fine") for i in range(1, 61)])
    _table_of(good, [(i, f"pan {_card(100 + i)}" if i % 10 == 0 else "ok") for i in range(1, 61)])
    real = databases._scan_pg_share
    failing = "whole" if jobs == 1 else f"{SHARE}-{2 * SHARE}"

    def refused(connection: Connection, share: databases.Share, *args: Any, **kw: Any) -> None:
        bound = BOUND.search(share.sql)
        where = f"{bound.group(1)}-{bound.group(2) or ''}" if bound else "whole"
        if connection.engine.url.database == bad.rsplit("/", 1)[1] and where == failing:
            connection.execute(text("SELECT 1 / 0"))  # division by zero, from the server
        real(connection, share, *args, **kw)

    monkeypatch.setattr(databases, "_scan_pg_share", refused)
    result = _run((bad, good), jobs)
    assert result.problems == [f"{databases.safe_url(bad)} could not be reached or read"]
    assert [(f.source, f.key) for f in result.findings] == [
        (databases.safe_url(good), str(i)) for i in range(10, 61, 10)
    ]
    assert result.counts() == {Kind.CARD: 6}
    assert "Traceback" not in capfd.readouterr().err
