"""The purge engine on seeded data of every age: the dry run and the run agree item for
item, holds keep what they hold, purged values are gone from the database files, data keys
go once nothing retained needs them, and a second run has nothing to do."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from retention_support import TEST_ACTOR, YEAR, Aged, seed_aged, stored_values
from sqlalchemy import func, select, text

from klaremont.customers.models import Address, Customer, Invoice, Order, OrderLine, PaymentCard
from klaremont.db.subjects import NOBODY, Subject
from klaremont.platform import Platform
from klaremont.policy.period import Period
from klaremont.retention import compact as compaction
from klaremont.retention import engine, ledger, litigation
from klaremont.retention_targets import all_targets
from klaremont.rights import intake
from klaremont.rights.ports import CustomerIdentity
from klaremont.rights.states import RequestKind

DAY = timedelta(days=1)


def _people(platform: Platform) -> dict[str, Aged]:
    """Every category at every age, and three held people who are all due."""
    seven = 7 * YEAR
    return {
        "gone": seed_aged(
            platform,
            "gone",
            idle=seven,
            order_age=seven,
            invoice_age=seven,
            resolved_age=3 * YEAR,
            closed_age=YEAR,
        ),
        "recent": seed_aged(
            platform, "recent", idle=YEAR, order_age=YEAR, invoice_age=YEAR, resolved_age=YEAR
        ),
        "dormant": seed_aged(
            platform, "dormant", idle=4 * YEAR, order_age=4 * YEAR, invoice_age=4 * YEAR
        ),
        "edge": seed_aged(
            platform,
            "edge",
            idle=3 * YEAR - 2 * DAY,  # three calendar years not yet over
            order_age=6 * YEAR - 2 * DAY,
            invoice_age=6 * YEAR,  # six years, but the legal hold ends a day later (leap)
            resolved_age=2 * YEAR - 2 * DAY,
            closed_age=29 * DAY,
        ),
        "cards_only": seed_aged(platform, "cards", idle=25 * 30 * DAY),  # 25 months: cards go
        "objector": seed_aged(platform, "objector", idle=4 * YEAR, objection=True),
        "litigation": seed_aged(
            platform, "litig", idle=seven, order_age=seven, invoice_age=seven, resolved_age=seven
        ),
        "requester": seed_aged(platform, "request", idle=seven, order_age=seven, invoice_age=seven),
    }


def _hold_and_request(platform: Platform, people: dict[str, Aged]) -> None:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        litigation.place(uow, people["litigation"].reference, "A county court claim about a refund")
        who = people["requester"]
        intake.submit_signed_in(
            uow, CustomerIdentity(who.subject_id, who.customer_id), RequestKind.ACCESS
        )
        # asking restarts the requester's clock; put it back so every rule is due but held
        uow.session.get(Subject, who.subject_id).last_activity_at = uow.clock.now() - 7 * YEAR


def _ledger_ids(platform: Platform, reference: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for entry in ledger.read(ledger.ledger_file(platform.settings)):
        if entry.run == reference and entry.target != ledger.KEYS:
            found.setdefault(entry.target, []).extend(entry.ids)
    return {target: sorted(ids) for target, ids in found.items()}


def _row(platform: Platform, model: type, row_id: object) -> object:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        return uow.session.get(model, row_id)


def _raw_bytes(platform: Platform) -> bytes:
    path = Path(str(platform.engine.url.database))
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _assert_gone(platform: Platform, gone: Aged) -> None:
    """Every category of the old customer dealt with; the order kept without a link."""
    order = _row(platform, Order, gone.rows["orders"][0])
    assert order is not None
    assert (order.subject_id, order.customer_id, order.delivery_address_id) == (NOBODY, None, None)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        lines = uow.session.scalar(
            select(func.count()).select_from(OrderLine).where(OrderLine.order_id == order.id)
        )
        assert lines == 1  # the sales figures keep their lines
        customer = uow.session.get(Customer, gone.customer_id)
        assert customer is not None
        assert customer.password_hash is None
        table = Customer.__table__
        names = ("name", "email", "email_bidx", "phone", "phone_bidx", "date_of_birth", "gender")
        stored = uow.session.execute(
            select(*(table.c[n] for n in names)).where(table.c.id == gone.customer_id)
        ).one()
        assert tuple(stored) == (None,) * len(names)
    assert _row(platform, Address, gone.rows["addresses"][0]) is None
    assert _row(platform, Invoice, gone.rows["invoices"][0]) is None


@pytest.mark.policy("PP-KEEP")
@pytest.mark.policy("DP-RETAIN")
@pytest.mark.policy("IS-SENS-DISPOSE")
def test_dry_run_and_run_agree_and_holds_keep_their_people(platform: Platform) -> None:
    people = _people(platform)
    _hold_and_request(platform, people)
    gone, dormant = people["gone"], people["dormant"]
    canaries = [
        value
        for table in ("customers", "addresses", "payment_cards", "contact_records", "invoices")
        for row_id in gone.rows.get(table, [])
        for value in stored_values(platform, table, row_id)
    ]
    assert len(canaries) > 8

    preview = engine.dry_run(platform)
    due = {p.target: sorted(p.ids) for p in preview.plans if p.ids}
    report = engine.run(platform, batch_size=2)

    # item for item: every row the preview listed was dealt with, and nothing else
    assert _ledger_ids(platform, report.reference) == due
    assert {p.target: p.done for p in report.plans if p.done} == {
        t: len(ids) for t, ids in due.items()
    }
    assert report.batches >= len(due)
    # the old customer: every category gone, the order kept for the figures without a link
    assert sorted(due["customers.invoices"]) == sorted(i.hex for i in gone.rows["invoices"])
    assert set(due["customers.contact"]) == {gone.customer_id.hex, dormant.customer_id.hex} | {
        people["objector"].customer_id.hex
    }
    _assert_gone(platform, gone)
    # the dormant customer keeps the invoice the law holds, with the order it belongs to
    assert _row(platform, Invoice, dormant.rows["invoices"][0]) is not None
    assert _row(platform, Order, dormant.rows["orders"][0]).subject_id == dormant.subject_id
    assert _row(platform, PaymentCard, dormant.rows["payment_cards"][0]) is None
    # 25 months idle: the card goes, the address and the contact details stay
    cards_only = people["cards_only"]
    assert _row(platform, PaymentCard, cards_only.rows["payment_cards"][0]) is None
    assert _row(platform, Address, cards_only.rows["addresses"][0]) is not None
    # the edge person: a day short of every period (the card's 24 months are long over)
    edge = people["edge"]
    assert [
        table
        for table, rows in edge.rows.items()
        for row_id in rows
        if any(row_id.hex in ids for ids in due.values())
    ] == ["payment_cards"]
    # the held people: everything due, nothing touched, each hold's keeping listed
    for held in ("litigation", "requester"):
        person = people[held]
        assert not any(
            row_id.hex in ids
            for ids in due.values()
            for rows in person.rows.values()
            for row_id in rows
        ), held
        assert _row(platform, Invoice, person.rows["invoices"][0]) is not None
    kept = {why for p in report.plans for why in p.kept}
    assert any(why.startswith("litigation hold LH-") for why in kept)
    assert any("open data-subject request" in why for why in kept)
    # keys: the old customer had nothing sealed left, so their key went; the dormant one's waits
    assert platform.keystore.is_destroyed(gone.subject_id)
    assert not platform.keystore.is_destroyed(dormant.subject_id)
    assert not platform.keystore.is_destroyed(people["litigation"].subject_id)
    assert report.keys_destroyed >= 1
    # a raw read of the database files finds none of the purged values
    if platform.engine.dialect.name == "sqlite":
        raw = _raw_bytes(platform)
        assert [c for c in canaries if c in raw] == []
    # nothing is left to do; the audit chain holds
    again = engine.dry_run(platform)
    assert again.total_due == 0
    assert engine.run(platform).total_done == 0
    assert platform.audit.verify(platform.engine).first is None


@pytest.mark.policy("PP-KEEP")
def test_lifting_the_hold_lets_the_next_run_purge(platform: Platform) -> None:
    people = _people(platform)
    _hold_and_request(platform, people)
    engine.run(platform)
    held = people["litigation"]
    assert _row(platform, Address, held.rows["addresses"][0]) is not None
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        [hold] = litigation.listing(uow)
        litigation.lift(uow, hold.reference, "The claim was settled out of court")
    report = engine.run(platform)
    assert report.plans_by_target()["customers.addresses"].done == 1
    assert _row(platform, Address, held.rows["addresses"][0]) is None
    assert platform.keystore.is_destroyed(held.subject_id)


def test_reports_render_as_html_and_json(platform: Platform) -> None:
    people = _people(platform)
    preview = engine.dry_run(platform)
    page = __import__("klaremont.retention.report", fromlist=["to_html"]).to_html(preview)
    assert "Retention dry run" in page
    assert people["gone"].rows["addresses"][0].hex in page
    assert "<script" not in page
    data = preview.as_dict()
    assert data["dry_run"] is True
    assert data["total_due"] == preview.total_due > 0


@pytest.mark.policy("PP-KEEP")
def test_a_legal_hold_longer_than_the_rule_keeps_what_it_holds(platform: Platform) -> None:
    """Defence in depth: even a policy whose legal hold outlasts the rule (the file's
    cross-check refuses one; an edited copy in memory is not checked) keeps held rows."""
    policy = platform.policy
    [hold] = policy.legal_holds
    platform.policy = policy.model_copy(
        update={"legal_holds": [hold.model_copy(update={"minimum": Period(years=8)})]}
    )
    person = seed_aged(platform, "law", idle=9 * YEAR, order_age=7 * YEAR, invoice_age=7 * YEAR)
    report = engine.run(platform)
    invoices = report.plans_by_target()["customers.invoices"]
    assert invoices.done == 0
    assert invoices.kept == {f"legal hold: 8y ({hold.basis})": 1}
    assert _row(platform, Invoice, person.rows["invoices"][0]) is not None
    assert not platform.keystore.is_destroyed(person.subject_id)


def _postgres_files(platform: Platform) -> bytes | None:
    """Every file of this test's PostgreSQL database, or None when they cannot be read."""
    with platform.engine.connect() as connection:
        folder = connection.execute(text("SHOW data_directory")).scalar_one()
        oid = connection.execute(
            text("SELECT oid FROM pg_database WHERE datname = current_database()")
        ).scalar_one()
    base = Path(str(folder)) / "base" / str(oid)
    try:
        return b"".join(path.read_bytes() for path in sorted(base.iterdir()) if path.is_file())
    except OSError:
        return None


def _wait_for_an_empty_horizon(platform: Platform) -> bool:
    """Until no other session holds a snapshot: VACUUM FULL keeps tuples any running
    transaction may still see (other test processes share this server)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE backend_xmin IS NOT NULL AND pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with platform.engine.connect() as connection:
            if connection.execute(query).scalar_one() == 0:
                return True
        time.sleep(0.05)
    return False


@pytest.mark.policy("IS-SENS-DISPOSE")
def test_compact_leaves_no_purged_value_in_the_database_files(platform: Platform) -> None:
    """On PostgreSQL a deleted tuple stays in the relation file after VACUUM; compacting
    rewrites the changed tables, after which a raw read of every file of the database finds
    none of the purged values (on SQLite every run already guarantees it: see above)."""
    gone = seed_aged(
        platform,
        "compact",
        idle=8 * YEAR,
        order_age=7 * YEAR,
        invoice_age=7 * YEAR,
        closed_age=YEAR,
    )
    canaries = [
        value
        for table in ("customers", "addresses", "payment_cards", "invoices")
        for row_id in gone.rows.get(table, [])
        for value in stored_values(platform, table, row_id)
    ]
    if platform.engine.dialect.name == "sqlite":
        assert engine.run(platform, compact=True).compacted == []
        assert [c for c in canaries if c in _raw_bytes(platform)] == []
        return
    report = engine.run(platform, compact=True)
    assert {"customers", "addresses", "invoices", "orders"} <= set(report.compacted)
    if not _wait_for_an_empty_horizon(platform):
        pytest.skip("another session holds PostgreSQL's oldest snapshot back")
    changed = [t for t in all_targets() if report.plans_by_target()[t.name].done]
    compaction.compact(platform, compaction.tables_of(changed))  # now nothing can see them
    raw = _postgres_files(platform)
    if raw is None:
        pytest.skip("the PostgreSQL data directory is not readable by this user")
    assert [c for c in canaries if c in raw] == []
