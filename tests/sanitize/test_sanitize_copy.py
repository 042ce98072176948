"""A sanitised copy of the demo data store: shape, keys and formats kept, none of the people.

Source on the test backend (SQLite or PostgreSQL), copies to a SQLite file and, on
PostgreSQL, to another PostgreSQL database.
"""

from __future__ import annotations

import sqlite3

import pytest
from sanitize_support import KEY, OTHER_KEY, copy_files, dump, personal_values, raw_bytes
from sqlalchemy import select, update

from backend_support import BACKEND
from klaremont.customers.models import Customer, PaymentCard
from klaremont.db.subjects import Subject
from klaremont.detectors.bulk import kinds_of
from klaremont.detectors.cards import TEST_NUMBERS
from klaremont.detectors.kinds import Group
from klaremont.platform import Platform
from klaremont.sanitize.place import TargetRefused
from klaremont.sanitize.report import to_html
from klaremont.sanitize.service import sanitise
from klaremont.scan.engine import ScanRequest, run


def _copy(seeded, tmp_path, name="dev.db", key=KEY):
    target = f"sqlite:///{tmp_path / name}"
    return sanitise(seeded.settings, source_url=None, target_url=target, key=key)


@pytest.mark.policy("IS-SENS-DEV")
def test_the_copy_keeps_every_key_and_unique_count_and_none_of_the_people(seeded, tmp_path):
    source = personal_values(seeded)
    outcome = _copy(seeded, tmp_path)
    assert outcome.passed, outcome.report["verification"]
    path = tmp_path / "dev.db"
    assert path.exists()
    assert not (tmp_path / "dev.db.partial").exists()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT count(*) FROM audit_events").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM staff_sessions").fetchone() == (0,)
    uniques = outcome.report["verification"]["unique_columns"]
    assert uniques["customers (reference)"]["copy"] == uniques["customers (reference)"]["source"]
    assert all(u["equal"] for u in uniques.values())
    # the HTML report shows each unique set's counts (it showed a dict method's name once)
    shown = to_html(outcome.report)
    customers = uniques["customers (reference)"]["copy"]
    assert f"<td>customers (reference)</td><td>{customers}</td>\n<td>{customers}</td>" in shown
    assert "built-in method" not in shown
    data = raw_bytes(path)
    assert source["all"]
    leaked = [v for v in source["all"] | source["erased"] if v.encode() in data]
    assert leaked == []
    scanned = run(ScanRequest((str(path),), kinds_of([Group.CARDS])))
    assert scanned.card_data() == []
    by_table = {t["table"]: t for t in outcome.report["tables"]}
    assert by_table["customers"]["rows_left_out"] == 1
    assert by_table["audit_events"]["dropped"]


@pytest.mark.policy("IS-SENS-DEV")
def test_the_app_starts_on_the_copy_and_reads_fake_people(seeded, tmp_path):
    outcome = _copy(seeded, tmp_path)
    copy = Platform.build(outcome.place.settings())
    try:
        with copy.unit_of_work() as uow:
            customers = list(uow.session.scalars(select(Customer)))
            cards = list(uow.session.scalars(select(PaymentCard)))
            assert customers
            for customer in customers:
                assert customer.email is None or customer.email.endswith("@example.com")
                assert customer.mobile is None or customer.mobile.startswith("07700 900")
            for card in cards:
                assert card.token is not None
                assert card.token.startswith("tok_test_")
                assert any(n.endswith(card.last4) for n in TEST_NUMBERS)
                assert card.token.endswith(card.last4)
    finally:
        copy.dispose()


@pytest.mark.policy("IS-SENS-DEV")
def test_same_key_same_copy_and_another_key_another(seeded, tmp_path):
    first = _copy(seeded, tmp_path, "a.db")
    second = _copy(seeded, tmp_path, "b.db")
    third = _copy(seeded, tmp_path, "c.db", key=OTHER_KEY)
    dumps = []
    for outcome in (first, second, third):
        copy = Platform.build(outcome.place.settings())
        try:
            dumps.append(dump(copy))
        finally:
            copy.dispose()
    assert dumps[0] == dumps[1]
    assert dumps[0] != dumps[2]
    # byte for byte: the database file and every file of its keys (key file, keystore)
    for name in ("a.db", "b.db", "c.db"):
        assert not (tmp_path / f"{name}-wal").exists()
    first_files, second_files, third_files = (
        copy_files(tmp_path, name) for name in ("a.db", "b.db", "c.db")
    )
    assert first_files.keys() == second_files.keys()
    differ = [name for name in first_files if first_files[name] != second_files[name]]
    assert differ == []
    assert first_files["db"] != third_files["db"]
    assert first_files["keys/kek.json"] != third_files["keys/kek.json"]


def test_a_target_that_exists_is_refused(seeded, tmp_path):
    (tmp_path / "dev.db").write_bytes(b"")
    with pytest.raises(TargetRefused, match="already exists"):
        _copy(seeded, tmp_path)


@pytest.mark.skipif(BACKEND != "postgresql", reason="PostgreSQL to PostgreSQL")
@pytest.mark.policy("IS-SENS-DEV")
def test_postgresql_to_postgresql(seeded, tmp_path, pg_target):
    url = pg_target()
    outcome = sanitise(
        seeded.settings, source_url=None, target_url=url, key=KEY, keys_dir=tmp_path / "keys"
    )
    assert outcome.passed, outcome.report["verification"]
    copy = Platform.build(outcome.place.settings())
    try:
        with copy.unit_of_work() as uow:
            assert uow.session.scalars(select(Customer)).first() is not None
    finally:
        copy.dispose()
    with pytest.raises(TargetRefused, match="not empty"):
        sanitise(
            seeded.settings, source_url=None, target_url=url, key=KEY, keys_dir=tmp_path / "k2"
        )


@pytest.mark.policy("IS-SENS-DEV")
def test_a_copy_that_fails_verification_is_deleted(seeded, tmp_path, monkeypatch):
    from klaremont.sanitize import service  # noqa: PLC0415 - patched below
    from klaremont.sanitize.verify import Verification  # noqa: PLC0415 - as above

    monkeypatch.setattr(service, "verify", lambda *_: Verification(card_findings=1))
    outcome = _copy(seeded, tmp_path)
    assert not outcome.passed
    assert outcome.report["verification"]["live_card_findings"] == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("dev.db")] == []


@pytest.mark.policy("IS-SENS-DEV")
def test_a_source_value_written_into_a_kept_column_fails_the_copy(seeded, tmp_path):
    """A person's name copied into a column the rules keep (here the collection channel)
    reaches the copy as it was: verification finds it, names the column, not the value,
    and the copy is deleted."""
    with seeded.unit_of_work() as uow:
        customer = uow.session.scalars(select(Customer).order_by(Customer.reference)).all()[3]
        name = customer.name
        assert name is not None
        uow.session.execute(
            update(Customer).where(Customer.id == customer.id).values(channel=name[:32])
        )
    outcome = _copy(seeded, tmp_path)
    found = outcome.report["verification"]
    assert not outcome.passed
    assert found["source_values_found"] == 1
    assert found["source_values_found_in"] == ["customers.channel"]
    assert name not in str(outcome.report)
    shown = to_html(outcome.report)
    assert "Source personal values found in the copy: 1 (in customers.channel)" in shown
    assert name not in shown
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("dev.db")] == []


@pytest.mark.policy("IS-SENS-DEV")
def test_references_short_or_without_digits_never_reach_the_copy(seeded, tmp_path):
    """A customer reference with a short number is permuted like any other (it used to be
    kept, then picked again with a NUL and a number glued to it: the source reached the
    copy inside the new value, and PostgreSQL refused the row); one without a digit cannot
    be pseudonymised in its format, is kept, and verification fails the copy naming the
    column (fails closed)."""
    with seeded.unit_of_work() as uow:
        people = uow.session.scalars(select(Customer).order_by(Customer.reference)).all()
        for person, reference in ((people[1], "KL-42"), (people[2], "KLAREMONT-ONE")):
            uow.session.execute(
                update(Customer).where(Customer.id == person.id).values(reference=reference)
            )
    outcome = _copy(seeded, tmp_path)
    assert not outcome.passed
    found = outcome.report["verification"]
    assert found["fakes_equal_to_source"] == {"customers.reference": 1}
    assert found["source_values_found"] == 0
    with seeded.unit_of_work() as uow:
        uow.session.execute(
            update(Customer).where(Customer.reference == "KLAREMONT-ONE").values(reference="KL-43")
        )
    kept = _copy(seeded, tmp_path, name="again.db")
    assert kept.passed, kept.report["verification"]
    copy = Platform.build(kept.place.settings())
    try:
        with copy.unit_of_work() as uow:
            references = set(uow.session.scalars(select(Customer.reference)))
    finally:
        copy.dispose()
    assert "KL-42" not in references
    assert "KL-43" not in references
    assert not any("\x00" in r for r in references)
    assert any(r.startswith("KL-") and len(r) == 5 for r in references)


def test_an_interrupted_copy_leaves_nothing(seeded, tmp_path, monkeypatch):
    from klaremont.sanitize.copying import Copier  # noqa: PLC0415 - patched below

    def stop(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(Copier, "_copy_table", stop)
    with pytest.raises(KeyboardInterrupt):
        _copy(seeded, tmp_path)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("dev.db")] == []


@pytest.mark.policy("IS-SENS-DEV")
def test_a_subset_keeps_a_share_of_the_customers_closed_under_foreign_keys(seeded, tmp_path):
    from klaremont.sanitize.fakes import Faker  # noqa: PLC0415 - to know the sample beforehand

    with seeded.unit_of_work() as uow:
        erased = set(uow.session.scalars(select(Subject.id).where(Subject.erased_at.is_not(None))))
        subjects = [s for s in uow.session.scalars(select(Customer.subject_id)) if s not in erased]
    # a run key whose half-sample is neither no one nor everyone (the ids are random)
    key, expected = next(
        (k, n)
        for k in (KEY, OTHER_KEY, *(bytes([i]) * 32 for i in range(40)))
        if 0 < (n := sum(Faker(k).sampled(s.bytes, 0.5) for s in subjects)) < len(subjects)
    )
    full = _copy(seeded, tmp_path, "full.db", key=key)
    half = sanitise(
        seeded.settings,
        source_url=None,
        target_url=f"sqlite:///{tmp_path / 'half.db'}",
        key=key,
        subset=0.5,
    )
    assert half.passed, half.report["verification"]
    assert half.report["subset"] == "50%"
    with sqlite3.connect(tmp_path / "full.db") as conn:
        everyone = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
    with sqlite3.connect(tmp_path / "half.db") as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        kept = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
        orphans = conn.execute(
            "SELECT count(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id "
            "WHERE c.id IS NULL"
        ).fetchone()[0]
        staff = conn.execute("SELECT count(*) FROM staff_accounts").fetchone()[0]
    assert kept == expected
    assert 0 < kept < everyone
    assert orphans == 0
    tables = {t["table"]: t for t in full.report["tables"]}
    assert staff == tables["staff_accounts"]["rows_written"]
    assert half.report["customers_left_out_by_subset"] >= everyone - kept
    assert all(u["equal"] for u in half.report["verification"]["unique_columns"].values())


@pytest.mark.parametrize(("text", "share"), [("10%", 0.1), ("0.25", 0.25), ("100%", 1.0)])
def test_subset_shares_are_read(text, share):
    from klaremont.sanitize.service import parse_subset  # noqa: PLC0415 - the parser alone

    assert parse_subset(text) == pytest.approx(share)


@pytest.mark.parametrize("text", ["0%", "150%", "ten", "-1"])
def test_bad_subset_shares_are_refused_by_name(text):
    from klaremont.sanitize.service import parse_subset  # noqa: PLC0415 - the parser alone

    with pytest.raises(ValueError, match=text):
        parse_subset(text)


@pytest.mark.policy("IS-SENS-DEV")
def test_worker_processes_make_the_same_copy_as_one_process(seeded, tmp_path, monkeypatch):
    from klaremont.sanitize import parallel  # noqa: PLC0415 - its threshold is lowered here

    monkeypatch.setenv("KLAREMONT_SANITIZE_JOBS", "1")
    alone = _copy(seeded, tmp_path, "alone.db")
    monkeypatch.setenv("KLAREMONT_SANITIZE_JOBS", "2")
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)  # every table through the workers
    shared = _copy(seeded, tmp_path, "shared.db")
    assert alone.passed
    assert shared.passed, shared.report["verification"]
    assert (tmp_path / "alone.db").read_bytes() == (tmp_path / "shared.db").read_bytes()
    assert copy_files(tmp_path, "alone.db") == copy_files(tmp_path, "shared.db")
    assert shared.report["verification"] == alone.report["verification"]


def _stored_rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every copied table of a PostgreSQL copy, rows as stored (text), in key order."""
    from sqlalchemy import create_engine  # noqa: PLC0415 - this helper's only

    from klaremont.sanitize.rawio import read_batches  # noqa: PLC0415 - as above
    from klaremont.sanitize.rules import plan  # noqa: PLC0415 - loads every model

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        found: dict[str, list[tuple[object, ...]]] = {}
        for table in plan().kept():
            parts = read_batches(engine, table.table, raw=True)
            found[table.name] = [tuple(row) for part in parts for row in part]
        return found
    finally:
        engine.dispose()


@pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="copies a PostgreSQL source into PostgreSQL databases: needs the PostgreSQL "
    "test backend (the SQLite run covers workers against one process byte for byte)",
)
@pytest.mark.policy("IS-SENS-DEV")
def test_postgresql_copies_packed_by_workers_equal_one_made_alone(
    seeded, tmp_path, pg_target, monkeypatch
):
    """Worker processes hand PostgreSQL batches ready for COPY (text format, escapes and
    binary values included): the copy holds exactly what a one-process copy holds."""
    from klaremont.sanitize import parallel  # noqa: PLC0415 - its threshold is lowered here

    with seeded.unit_of_work() as uow:  # values COPY must escape: tab, line breaks, backslash
        first = uow.session.scalars(select(Customer).order_by(Customer.reference)).all()[2]
        uow.session.execute(
            update(Customer).where(Customer.id == first.id).values(channel="a\tb\\c\nd\re")
        )
    urls = {"alone": pg_target(), "shared": pg_target()}
    monkeypatch.setenv("KLAREMONT_SANITIZE_JOBS", "1")
    alone = sanitise(seeded.settings, source_url=None, target_url=urls["alone"], key=KEY,
                     keys_dir=tmp_path / "alone")  # fmt: skip
    monkeypatch.setenv("KLAREMONT_SANITIZE_JOBS", "2")
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)  # every table through the workers
    shared = sanitise(seeded.settings, source_url=None, target_url=urls["shared"], key=KEY,
                      keys_dir=tmp_path / "shared")  # fmt: skip
    assert alone.passed, alone.report["verification"]
    assert shared.passed, shared.report["verification"]
    one, other = _stored_rows(urls["alone"]), _stored_rows(urls["shared"])
    assert sum(len(rows) for rows in one.values()) > 100
    assert one == other
    assert any("a\tb\\c\nd\re" in row for row in one["customers"])
