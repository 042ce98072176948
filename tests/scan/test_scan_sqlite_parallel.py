"""A SQLite file scanned with worker processes: table shares and the file's bytes at once.

With ``jobs`` > 1 the engine reads the file's bytes (and its write-ahead log) in worker
processes while the tables are scanned there too, large tables in shares of rowids
(``databases.SHARE_ROWS``, lowered here so a few hundred rows make several shares; the
workers are forked, so they see the lowered value). Whatever the split, the result must be
the one process's: the same findings in the same order, the same counts and byte totals,
the same remnants and the same problem lines.
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from klaremont.detectors.bulk import kinds_of
from klaremont.detectors.kinds import Group, Kind
from klaremont.scan import databases, engine, files
from klaremont.scan.findings import ScanResult
from klaremont.testing.scan_values import luhn_completed

LIVE = "4556737586899855"  # Luhn-valid Visa, not a published test number
LIVE_MC = "2223000048400011"  # Mastercard 2-series
CARDS = kinds_of([Group.CARDS])
SHARE = 50  # rowids a share, in these tests


def _card(n: int) -> str:
    """A live Visa number of its own for ``n`` < 1000 (its last four differ from every other
    ``n``'s, and from LIVE's and LIVE_MC's)."""
    return luhn_completed(f"455673758{n:06d}")


@pytest.fixture(autouse=True)
def small_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shares of SHARE rowids (forked workers inherit the patched module)."""
    monkeypatch.setattr(databases, "SHARE_ROWS", SHARE)


def _run(path: Path, jobs: int, *, detail: int = 10_000, kinds: frozenset[Kind] = CARDS):
    return engine.run(engine.ScanRequest((str(path),), kinds, jobs=jobs, detail=detail))


def _summary(result: ScanResult) -> tuple[Any, ...]:
    """Everything a scan's result says, but the times."""
    sources = {
        Path(name).name: (dict(s.counts), s.bytes) for name, s in sorted(result.sources.items())
    }
    return (result.findings, sources, dict(result.counts()), result.bytes, result.problems)


def _build_shop(path: Path) -> dict[str, list[str]]:
    """A file with one table larger than a share with gaps in its rowids (rows deleted, one
    whole share's worth among them), one without a primary key (rowid keys), one WITHOUT
    ROWID with a composite key, and a small one; the keys each table's live cards sit at."""
    keys: dict[str, list[str]] = {"orders": [], "ledger": [], "codes": [], "settings": []}
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA secure_delete=OFF")
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT, pan TEXT)")
        conn.execute("CREATE TABLE ledger (memo TEXT, amount INTEGER)")
        conn.execute(
            "CREATE TABLE codes (code TEXT, seq INTEGER, pan TEXT, PRIMARY KEY (code, seq))"
            " WITHOUT ROWID"
        )
        conn.execute("CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT)")
        conn.executemany(
            "INSERT INTO orders (id, note, pan) VALUES (?, ?, ?)",
            [
                (i, f"order {i}", f"paid with {_card(i)} ok" if i % 9 == 0 else None)
                for i in range(1, 421)
            ],
        )
        deleted = {i for i in range(1, 421) if 120 <= i <= 185 or i % 13 == 0}
        keys["orders"] = [str(i) for i in range(1, 421) if i % 9 == 0 and i not in deleted]
        conn.executemany(
            "INSERT INTO ledger (memo, amount) VALUES (?, ?)",
            [
                (f"refund to {_card(500 + i)}" if i % 11 == 0 else f"memo {i}", i)
                for i in range(1, 181)
            ],
        )
        keys["ledger"] = [str(i) for i in range(1, 181) if i % 11 == 0 and not 60 <= i <= 68]
        conn.executemany(
            "INSERT INTO codes (code, seq, pan) VALUES (?, ?, ?)",
            [(f"c{i % 4}", i, _card(700 + i) if i % 10 == 0 else "none") for i in range(1, 131)],
        )
        # WITHOUT ROWID: read in key order (code, then seq)
        keys["codes"] = [
            f"c{code},{i}" for code in range(4) for i in range(1, 131) if i % 4 == code
        ]
        keys["codes"] = [k for k in keys["codes"] if int(k.split(",")[1]) % 10 == 0]
        conn.executemany(
            "INSERT INTO settings (name, value) VALUES (?, ?)",
            [("theme", "dark"), ("fallback card", f"card {_card(999)}"), ("zone", "UK")],
        )
        keys["settings"] = ["fallback card"]
        # deleted last, so no later insert reuses what they free
        conn.execute("DELETE FROM orders WHERE id BETWEEN 120 AND 185 OR id % 13 = 0")
        conn.execute("DELETE FROM ledger WHERE rowid BETWEEN 60 AND 68")
    conn.close()
    return keys


def _spied_shares(monkeypatch: pytest.MonkeyPatch, log: Path) -> Callable[[], list[list[str]]]:
    """Record each share scanned (the process, the table, its bounds) in ``log``; workers
    write there too (they are forked after the patch)."""
    real = databases._scan_share

    def spy(connection: sqlite3.Connection, share: databases.Share, *args, **kwargs) -> None:
        with log.open("a") as out:
            out.write(f"{os.getpid()} {share.table} {share.bounds}\n")
        real(connection, share, *args, **kwargs)

    monkeypatch.setattr(databases, "_scan_share", spy)

    def read() -> list[list[str]]:
        lines = [line.split(" ", 2) for line in log.read_text().splitlines()]
        log.unlink()
        return lines

    return read


@pytest.mark.policy("IS-SENS-SAFE")
def test_table_shares_and_bytes_at_once_find_what_one_process_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Big table with gaps, rowid keys, WITHOUT ROWID, a small table, cards left in freed
    bytes: jobs=2 and 3 give jobs=1's findings (kind, table, column, key, sample, order),
    counts, byte totals and remnants; the big tables really went out in shares."""
    path = tmp_path / "shop.db"
    keys = _build_shop(path)
    read_shares = _spied_shares(monkeypatch, tmp_path / "shares.log")

    alone = _run(path, 1)
    in_parent = read_shares()
    assert {(pid, bounds) for pid, _, bounds in in_parent} == {(str(os.getpid()), "None")}
    assert sorted(t for _, t, _ in in_parent) == ["codes", "ledger", "orders", "settings"]

    live = [(f.table, f.key) for f in alone.findings if f.table is not None]
    assert live == [(t, k) for t in ("orders", "ledger", "codes", "settings") for k in keys[t]]
    assert {f.column for f in alone.findings if f.table == "ledger"} == {"memo"}
    assert {f.column for f in alone.findings if f.table == "codes"} == {"pan"}
    assert len({f.sample for f in alone.findings if f.table is not None}) == len(live)
    # the deleted orders and ledger rows that held cards: found in the file's freed bytes
    remnants = [f for f in alone.findings if f.table is None]
    assert remnants
    assert {f.note for f in remnants} == {engine.OUTSIDE_LIVE_ROWS}
    assert {f.sample for f in remnants}.isdisjoint(f.sample for f in alone.findings if f.table)

    for jobs in (2, 3):
        shared = _run(path, jobs)
        assert [(f.kind, f.table, f.column, f.key, f.sample) for f in shared.findings] == [
            (f.kind, f.table, f.column, f.key, f.sample) for f in alone.findings
        ], jobs
        assert _summary(shared) == _summary(alone), jobs
        scanned = read_shares()
        assert all(pid != str(os.getpid()) for pid, _, _ in scanned), "scanned in the parent"
        by_table = Counter(t for _, t, _ in scanned)
        assert by_table["codes"] == by_table["settings"] == 1  # WITHOUT ROWID, small: whole
        assert by_table["orders"] == 9  # rowids 1..420 in shares of 50
        assert by_table["ledger"] == 4  # rowids 1..180


@pytest.mark.policy("IS-SENS-SAFE")
def test_the_write_ahead_log_is_read_by_a_worker_as_by_one_process(tmp_path: Path) -> None:
    """Rows still only in the write-ahead log (a connection holds it open, no checkpoint):
    the tables through the log, the log's bytes with their note, as one process reads them."""
    path = tmp_path / "live.db"
    keep = sqlite3.connect(path)
    try:
        keep.execute("PRAGMA journal_mode=WAL")
        keep.execute("PRAGMA wal_autocheckpoint=0")
        keep.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
        keep.executemany(
            "INSERT INTO note (id, body) VALUES (?, ?)",
            [(i, f"card {_card(i)}" if i % 25 == 0 else "fine") for i in range(1, 201)],
        )
        keep.execute("INSERT INTO note (id, body) VALUES (500, ?)", (f"card {LIVE}",))
        keep.commit()
        keep.execute("UPDATE note SET body = 'card removed' WHERE id = 500")
        keep.commit()
        assert Path(f"{path}-wal").stat().st_size > path.stat().st_size
        alone = _run(path, 1)
        shared = _run(path, 2)
    finally:
        keep.close()
    assert _summary(shared) == _summary(alone)
    assert [f.key for f in shared.findings if f.table] == [str(i) for i in range(25, 201, 25)]
    wal = [f for f in shared.findings if f.table is None]
    assert [(Path(f.source).name, f.sample) for f in wal] == [("live.db-wal", "•••• 9855")]
    assert "write-ahead log" in wal[0].where


@pytest.mark.policy("IS-SENS-SAFE")
def test_a_card_only_in_freed_bytes_is_a_remnant_with_workers_too(tmp_path: Path) -> None:
    """A deleted row's card number, freed and not overwritten, is reported from the file's
    bytes (outside live rows) with jobs=2 as with jobs=1, and only that one."""
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA secure_delete=OFF")
        conn.execute("CREATE TABLE payments (id INTEGER PRIMARY KEY, note TEXT)")
        conn.executemany(
            "INSERT INTO payments (id, note) VALUES (?, ?)",
            [(i, f"paid {_card(i)}" if i % 20 == 0 else f"cash {i}") for i in range(1, 231)],
        )
        conn.execute("UPDATE payments SET note = ? WHERE id = 77", (f"paid {LIVE_MC} then",))
        conn.commit()
        conn.execute("DELETE FROM payments WHERE id = 77")
    conn.close()
    assert LIVE_MC.encode() in path.read_bytes()  # freed, not overwritten
    for jobs in (1, 2):
        result = _run(path, jobs)
        table_keys = [f.key for f in result.findings if f.table == "payments"]
        assert table_keys == [str(i) for i in range(20, 231, 20)], jobs
        remnants = [f for f in result.findings if f.table is None]
        assert [(Path(f.source).name, f.sample, f.note) for f in remnants] == [
            ("shop.db", "•••• 0011", engine.OUTSIDE_LIVE_ROWS)
        ], jobs
        assert engine.OUTSIDE_LIVE_ROWS in remnants[0].where
        assert result.counts() == {Kind.CARD: len(table_keys) + 1}, jobs


def test_the_detail_limit_holds_in_total_over_shares(tmp_path: Path) -> None:
    """E-mail addresses in every row of a table of many shares: jobs=2 lists the first
    ``detail`` of them in key order, as jobs=1 does, and counts every one."""
    path = tmp_path / "people.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, mail TEXT)")
        conn.executemany(
            "INSERT INTO people (id, mail) VALUES (?, ?)",
            [(i, f"user{i}@example.co.uk") for i in range(1, 301)],
        )
    conn.close()
    mail = frozenset({Kind.EMAIL})
    alone = _run(path, 1, detail=7, kinds=mail)
    shared = _run(path, 2, detail=7, kinds=mail)
    assert _summary(shared) == _summary(alone)
    listed = [f for f in shared.findings if f.table == "people"]
    assert [f.key for f in listed] == [str(i) for i in range(1, 8)]
    assert shared.counts() == {Kind.EMAIL: 300}


# ---------------------------------------------------------------------- the shares


def _rowids(conn: sqlite3.Connection, table: str) -> list[int]:
    return [r[0] for r in conn.execute(f'SELECT rowid FROM "{table}" ORDER BY rowid')]


def test_split_shares_cover_every_rowid_once(tmp_path: Path) -> None:
    """split=True: each table of more than SHARE_ROWS rowids in ranges that do not overlap,
    follow each other and together hold min..max; each share's SQL reads each row once;
    WITHOUT ROWID and small tables whole. split=False: one whole share a table."""
    path = tmp_path / "shop.db"
    _build_shop(path)
    conn = sqlite3.connect(path)
    try:
        whole = databases.sqlite_shares(conn, split=False)
        assert sorted(s.table for s in whole) == ["codes", "ledger", "orders", "settings"]
        assert all(s.bounds is None for s in whole)
        split = databases.sqlite_shares(conn, split=True)
        # the tables in the file's order, each table's shares together
        assert [s.table for s in split] == ["orders"] * 9 + ["ledger"] * 4 + [
            "codes",
            "settings",
        ]
        for share in whole:
            parts = [s for s in split if s.table == share.table]
            assert all(p.columns == share.columns for p in parts)
            rowids = _rowids(conn, share.table) if share.table != "codes" else []
            if share.table in {"codes", "settings"}:
                assert parts == [share]
                continue
            bounds = [p.bounds for p in parts]
            assert all(b is not None for b in bounds)
            assert bounds[0][0] == min(rowids)
            assert bounds[-1][1] == max(rowids)
            for (_, high), (low, _) in pairwise(bounds):
                assert low == high + 1  # no overlap, no hole
            assert all(0 <= b[1] - b[0] < SHARE for b in bounds)
            read = [row[0] for p in parts for row in conn.execute(p.sql, p.bounds)]
            full = [row[0] for row in conn.execute(share.sql)]
            assert sorted(read) == sorted(full)
            assert len(read) == len(set(read)) == len(rowids)
        assert [s.columns for s in whole if s.table == "codes"] == [("code", "seq", "pan")]
    finally:
        conn.close()


def test_a_gap_as_wide_as_a_share_leaves_an_empty_share_and_nothing_out(tmp_path: Path) -> None:
    """Rows deleted over a whole share's range: that share reads nothing, the others every
    remaining row."""
    path = tmp_path / "gaps.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (v TEXT)")
        conn.executemany("INSERT INTO t (v) VALUES (?)", [(f"v{i}",) for i in range(1, 201)])
        conn.execute("DELETE FROM t WHERE rowid BETWEEN 51 AND 100 OR rowid % 7 = 0")
    conn.close()
    conn = sqlite3.connect(path)
    try:
        split = databases.sqlite_shares(conn, split=True)
        assert [s.bounds for s in split] == [(1, 50), (51, 100), (101, 150), (151, 200)]
        counts = [len(conn.execute(s.sql, s.bounds).fetchall()) for s in split]
        assert counts[1] == 0
        assert sum(counts) == len(_rowids(conn, "t"))
    finally:
        conn.close()


# ---------------------------------------------------------------------- what cannot be read


def _rows_of_cards(path: Path, rows: int) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA page_size=1024")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)")
        conn.executemany(
            "INSERT INTO t (id, a) VALUES (?, ?)",
            [(i, f"pan {_card(i % 1000)} " + "y" * 100) for i in range(1, rows + 1)],
        )
    conn.close()


def _damage_middle_leaves(path: Path) -> None:
    """Overwrite four leaf pages (type 13) in the middle of the table with garbage; its
    interior pages, and its first and last leaves, are kept."""
    data = bytearray(path.read_bytes())
    leaves = [p for p in range(1, len(data) // 1024) if data[p * 1024] == 13]
    for page in leaves[len(leaves) // 2 - 2 : len(leaves) // 2 + 2]:
        data[page * 1024 : (page + 1) * 1024] = b"\xff" * 1024
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["not a database", "middle pages garbage", "a share fails"])
def test_a_damaged_file_gives_the_problem_line_with_workers_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    """A file with SQLite's header that is no database; one whose middle pages are garbage;
    one whose table read fails in the worker given its second share (the error comes back
    from the worker process): the same problem line, the bytes still read and their cards
    reported, with jobs=2 as with jobs=1."""
    path = tmp_path / "broken.db"
    if damage == "not a database":
        path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100 + LIVE.encode() + b"\n")
    else:
        _rows_of_cards(path, 900)
    if damage == "middle pages garbage":
        _damage_middle_leaves(path)
    if damage == "a share fails":
        real = databases._scan_share

        def failing(connection: sqlite3.Connection, share: databases.Share, *args, **kwargs):
            if share.bounds in {None, (51, 100)}:  # one process: the whole table
                raise sqlite3.DatabaseError("database disk image is malformed")
            real(connection, share, *args, **kwargs)

        monkeypatch.setattr(databases, "_scan_share", failing)
    assert files.is_sqlite(path)
    alone = _run(path, 1)
    shared = _run(path, 2)
    problem = f"{path}: its tables could not be read (locked, damaged or encrypted)"
    for result in (alone, shared):
        assert len(result.problems) == 1
        assert result.problems[0].startswith(problem)
        assert result.findings
        assert all(f.table is None for f in result.findings)
        assert not result.clean
    assert _summary(shared) == _summary(alone)


# ---------------------------------------------------------------------- known faults


@pytest.mark.policy("IS-SENS-SAFE")
def test_more_cards_than_the_detail_are_listed_with_workers_as_alone(tmp_path: Path) -> None:
    """Sixty live cards, the default detail of 50: every one listed at its row, none as a
    remnant, sixty counted, with jobs=2 as with jobs=1."""
    path = tmp_path / "many.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)")
        conn.executemany(
            "INSERT INTO t (id, a) VALUES (?, ?)", [(i, f"pan {_card(i)}") for i in range(1, 61)]
        )
    conn.close()
    request = engine.ScanRequest((str(path),), CARDS)  # detail 50
    alone = engine.run(request)
    assert [f.key for f in alone.findings] == [str(i) for i in range(1, 61)]
    assert alone.counts() == {Kind.CARD: 60}
    shared = engine.run(engine.ScanRequest((str(path),), CARDS, jobs=2))
    assert _summary(shared) == _summary(alone)


@pytest.mark.parametrize("far", [SHARE * 2_000, 2**62])
def test_a_table_of_two_far_apart_rows_is_not_split_into_thousands(
    tmp_path: Path, far: int
) -> None:
    """Rowids far apart (hashed or 64-bit ids) widen the ranges: a table is never cut into
    more than MAX_SHARES shares, and both rows are still read."""
    path = tmp_path / "sparse.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", [(1, "x"), (far, f"pan {LIVE}")])
    conn.close()
    conn = sqlite3.connect(path)
    try:
        shares = databases.sqlite_shares(conn, split=True)
    finally:
        conn.close()
    assert 1 < len(shares) <= databases.MAX_SHARES
    alone = _run(path, 1)
    assert [(f.table, f.key) for f in alone.findings] == [("t", str(far))]
    assert _summary(_run(path, 2)) == _summary(alone)


def test_making_shares_reads_only_the_ends_of_a_table(tmp_path: Path) -> None:
    """Shares are made from the table's first and last rowids: damage in its middle pages
    is not met there (each share's reader meets it)."""
    path = tmp_path / "edges.db"
    _rows_of_cards(path, 900)
    _damage_middle_leaves(path)
    conn = sqlite3.connect(path)
    try:
        shares = databases.sqlite_shares(conn, split=True)
    finally:
        conn.close()
    assert shares[0].bounds == (1, SHARE)
    assert len(shares) == 900 // SHARE


def _shadowed_rowid(path: Path, kind: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(f"CREATE TABLE t (rowid {kind}, a TEXT)")
        conn.executemany(
            "INSERT INTO t (rowid, a) VALUES (?, ?)",
            [
                (
                    None if i == 7 else (f"r{i}" if kind == "TEXT" else i * 10),
                    f"pan {LIVE}" if i == 7 else "x",
                )
                for i in range(1, 201)
            ],
        )
    conn.close()


@pytest.mark.parametrize(
    "kind",
    [
        "TEXT",
        "INTEGER",
    ],
)
def test_a_column_named_rowid_is_read_with_workers_as_alone(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "shadow.db"
    _shadowed_rowid(path, kind)
    alone = _run(path, 1)
    assert [(f.table, f.sample) for f in alone.findings] == [("t", "•••• 9855")]
    assert _summary(_run(path, 2)) == _summary(alone)
