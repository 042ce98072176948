"""The scan engine over real files, SQLite files and PostgreSQL: places, counts, remnants."""

from __future__ import annotations

import gzip
import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from klaremont.detectors.bulk import kinds_of
from klaremont.detectors.kinds import Group, Kind
from klaremont.errors import ValidationFailed
from klaremont.scan import allowlist, engine, files, reports

LIVE = "4556737586899855"  # Luhn-valid Visa, not a published test number
LIVE_MC = "2223000048400011"  # Mastercard 2-series
CARDS = kinds_of([Group.CARDS])
EVERYTHING = frozenset(Kind)


def _lines(count: int, every: int, value: str) -> str:
    return "".join(
        f"2026-12-06T10:00:{i % 60:02d}Z INFO order={i} "
        + (f"pan={value}" if i % every == 0 else "status=200")
        + "\n"
        for i in range(1, count + 1)
    )


@pytest.mark.policy("IS-SENS-MASK")
def test_line_numbers_are_exact_across_chunks_and_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "CHUNK", 4096)
    monkeypatch.setattr(engine, "SPLIT_AT", 1)
    log = tmp_path / "app.log"
    log.write_text(_lines(5000, 97, LIVE))
    expected = [i for i in range(1, 5001) if i % 97 == 0]
    for jobs in (1, 2, 3):
        result = engine.run(engine.ScanRequest((str(log),), CARDS, jobs=jobs))
        lines = [f.line for f in result.findings]
        assert lines == expected, jobs
        assert result.counts() == {Kind.CARD: len(expected)}
        assert {f.sample for f in result.findings} == {"•••• 9855"}
        assert result.bytes == log.stat().st_size


def test_a_file_without_a_final_line_break_and_a_gzip_file(tmp_path: Path) -> None:
    plain = tmp_path / "a.txt"
    plain.write_text(f"first line\ncard {LIVE_MC}")
    packed = tmp_path / "b.log.gz"
    packed.write_bytes(gzip.compress(_lines(300, 100, LIVE).encode()))
    result = engine.run(engine.ScanRequest((str(tmp_path),), CARDS))
    found = sorted((Path(f.source).name, f.line, f.brand) for f in result.findings)
    assert found == [
        ("a.txt", 2, "mastercard"),
        ("b.log.gz", 100, "visa"),
        ("b.log.gz", 200, "visa"),
        ("b.log.gz", 300, "visa"),
    ]


def test_personal_data_is_counted_exactly_and_listed_up_to_the_detail(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("".join(f"sent to user{i}@example.co.uk ok\n" for i in range(1000)))
    result = engine.run(engine.ScanRequest((str(log),), EVERYTHING, detail=7))
    assert result.counts() == {Kind.EMAIL: 1000}
    assert len(result.findings) == 7
    assert result.findings[0].sample == "u•••@example.co.uk"


@pytest.mark.policy("IS-SENS-SAFE")
def test_sqlite_tables_and_what_the_write_ahead_log_still_holds(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    keep = sqlite3.connect(path)
    keep.execute("PRAGMA journal_mode=WAL")
    keep.execute("PRAGMA wal_autocheckpoint=0")
    keep.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT, extra BLOB)")
    keep.execute("INSERT INTO note (body, extra) VALUES (?, ?)", ("card " + LIVE, b"clean"))
    keep.execute("INSERT INTO note (body, extra) VALUES (?, ?)", ("fine", f"{LIVE_MC}".encode()))
    keep.commit()
    keep.execute("UPDATE note SET body = 'card removed' WHERE id = 1")
    keep.commit()
    try:
        result = engine.run(engine.ScanRequest((str(tmp_path),), CARDS))
    finally:
        keep.close()
    live = [(f.table, f.column, f.key, f.sample) for f in result.findings if f.table]
    assert live == [("note", "extra", "2", "•••• 0011")]
    remnants = [f for f in result.findings if f.table is None]
    assert [(Path(f.source).name, f.sample) for f in remnants] == [("shop.db-wal", "•••• 9855")]
    assert "write-ahead log" in remnants[0].where


def test_postgresql_text_columns_streamed_with_keys(database: object) -> None:
    url = str(database.database_url)  # type: ignore[attr-defined]
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL scan needs the PostgreSQL backend")
    db = create_engine(url)
    with db.begin() as conn:
        conn.execute(text("CREATE SCHEMA shop"))
        conn.execute(
            text(
                "CREATE TABLE shop.ticket (id int PRIMARY KEY, body text, meta jsonb, raw bytea,"
                " n int)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO shop.ticket SELECT g, 'ticket ' || g, "
                "CASE WHEN g = 7 THEN jsonb_build_object('cvv', '123') END, "
                "CASE WHEN g = 9 THEN convert_to('pan ' || :pan, 'UTF8') END, g "
                "FROM generate_series(1, 5000) g"
            ),
            {"pan": LIVE},
        )
    db.dispose()
    shown = url.rsplit("@", maxsplit=1)[-1]
    result = engine.run(engine.ScanRequest((url,), CARDS))
    found = sorted((f.table, f.column, f.key, f.kind) for f in result.findings)
    assert found == [
        ("shop.ticket", "meta", "7", Kind.CARD_CODE),
        ("shop.ticket", "raw", "9", Kind.CARD),
    ]
    assert all(shown in f.source for f in result.findings)
    sampled = engine.run(engine.ScanRequest((url,), CARDS, sample=100.0))
    assert sampled.counts() == result.counts()


def _allow(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "allow.toml"
    path.write_text(body)
    return path


def test_the_allow_list_accepts_with_a_reason_until_it_expires(tmp_path: Path) -> None:
    log = tmp_path / "fixtures.csv"
    log.write_text(f"a,{LIVE}\nb,someone@example.com\nc,{LIVE_MC}\n")
    entries = _allow(
        tmp_path,
        '[[allow]]\npath = "*.csv"\nkind = "card-number"\nline = 1\n'
        'reason = "payment fixture"\nexpires = 2030-01-01\n'
        '[[allow]]\npath = "*.csv"\nkind = "email"\nreason = "example domain"\n'
        "expires = 2030-01-01\n"
        '[[allow]]\npath = "*"\nkind = "*"\nreason = "old blanket exception"\n'
        "expires = 2020-01-01\n",
    )
    accepted = allowlist.load(entries, date(2026, 12, 6))
    result = engine.run(
        engine.ScanRequest((str(tmp_path),), EVERYTHING, allow=accepted, label="fixtures")
    )
    left = result.remaining()
    assert [(f.line, f.kind) for f in left] == [(3, Kind.CARD)]
    assert result.counts() == {Kind.CARD: 1}
    assert result.counts(remaining=False) == {Kind.CARD: 2, Kind.EMAIL: 1}
    assert any("expired on 2020-01-01" in p for p in result.problems)
    assert not result.clean


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('[[allow]]\npath = "x"\nkind = "email"\nexpires = 2030-01-01\n', "reason"),
        ('[[allow]]\npath = "x"\nkind = "email"\nreason = "r"\n', "expires"),
        ('[[allow]]\npath = "x"\nkind = "cvv"\nreason = "r"\nexpires = 2030-01-01\n', "kind"),
        (
            '[[allow]]\npath = "x"\nkind = "email"\nreason = "r"\nexpires = 2030-01-01\nwho = 1\n',
            "who",
        ),
        ("[[allow]\n", "allow-list"),
    ],
)
def test_a_bad_allow_list_entry_is_refused_by_name(tmp_path: Path, body: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        allowlist.load(_allow(tmp_path, body), date(2026, 12, 6))
    assert field in refused.value.problems[0].field


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (engine.ScanRequest(("/nowhere/at/all",), CARDS), "target"),
        (engine.ScanRequest((".",), frozenset()), "detect"),
        (engine.ScanRequest((".",), CARDS, sample=0), "sample"),
        (engine.ScanRequest((".",), CARDS, jobs=0), "jobs"),
    ],
)
def test_bad_requests_name_the_field(request_: engine.ScanRequest, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        engine.run(request_)
    assert refused.value.problems[0].field == field


@pytest.mark.policy("IS-SENS-MASK")
@pytest.mark.policy("IS-SENS-CVV")
def test_no_report_format_holds_a_full_number_or_code(tmp_path: Path) -> None:
    data = tmp_path / "mixed.jsonl"
    data.write_text(
        json.dumps({"pan": LIVE, "cvv": "7391", "track": f";{LIVE}=25121010000000000000?"})
        + "\n"
        + json.dumps({"note": f"card {LIVE_MC}", "password": "Sup3rS3cretValue"})
        + "\n"
    )
    result = engine.run(engine.ScanRequest((str(data),), EVERYTHING))
    assert {f.kind for f in result.findings} >= {Kind.CARD, Kind.CARD_CODE, Kind.TRACK}
    outputs = [
        reports.to_json(result),
        reports.to_sarif(result),
        reports.to_html(result),
        reports.to_json(reports.from_json(reports.to_json(result))),
    ]
    for output in outputs:
        for secret in (LIVE, LIVE_MC, "7391", "Sup3rS3cretValue", LIVE[:6], LIVE_MC[:8]):
            assert secret not in output
    back = reports.from_json(reports.to_json(result))
    assert back.counts() == result.counts()
    assert [f.where for f in back.findings] == [f.where for f in result.findings]
    sarif = json.loads(reports.to_sarif(result))
    levels = {r["ruleId"]: r["level"] for r in sarif["runs"][0]["results"]}
    assert levels["card-number"] == "error"


def test_unreadable_sources_are_reported_and_the_rest_still_scanned(tmp_path: Path) -> None:
    (tmp_path / "broken.log.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    (tmp_path / "fake.db").write_bytes(
        b"SQLite format 3\x00" + b"\x00" * 100 + LIVE.encode() + b"\n"
    )
    (tmp_path / "ok.log").write_text(f"pan {LIVE}\n")
    result = engine.run(
        engine.ScanRequest(
            (str(tmp_path), "postgresql://nobody:pw@127.0.0.1:1/none"), CARDS, label="mixed"
        )
    )
    problems = " ".join(result.problems)
    assert "broken.log.gz is not a readable gzip file" in problems
    assert "fake.db: its tables could not be read (locked, damaged or encrypted)" in problems
    assert "127.0.0.1:1/none could not be reached or read" in problems
    assert "Error" not in problems  # words, not the driver's exception names
    assert not result.clean
    assert "pw" not in problems.replace("could", "")
    assert sorted(Path(f.source).name for f in result.findings) == ["fake.db", "ok.log"]


def test_digits_inside_a_hex_token_in_raw_database_bytes_are_not_a_card(tmp_path: Path) -> None:
    path = tmp_path / "ids.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a TEXT, b TEXT)")
        # a 32-character hex id whose digits hold a Luhn-valid Visa, beside another value
        conn.execute("INSERT INTO t VALUES (?, ?)", (f"ab{LIVE}cdef0123456789", "x"))
        conn.execute("INSERT INTO t VALUES (?, ?)", (f"pan {LIVE_MC}", "y"))
    conn.close()
    result = engine.run(engine.ScanRequest((str(path),), CARDS))
    assert [(f.table, f.sample) for f in result.findings] == [("t", "•••• 0011")]
