"""Rights that reach an external shop database: access returns the person's rows from it;
erasure deletes them children first in one transaction per store; a store failing mid-way
rolls back alone, stays failed and visible, and a retry completes it (PP-R-ACCESS,
PP-R-ERASE)."""

from __future__ import annotations

import json

import pytest
from connectors_support import TEST_ACTOR, seed_customer
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError

from klaremont.connectors import service
from klaremont.connectors.models import ConnectorRun, RunState
from klaremont.rights import access, erasure, fulfil, intake
from klaremont.rights import service as rights_service
from klaremont.rights.states import RequestKind
from klaremont.transfers import TransferRefused

ALICE = "alice.shop@example.com"
BOB = "bob.shop@example.com"
SHOP_TABLES = ("customers", "addresses", "loyalty", "orders", "order_lines")


def _rows_of(shop, customer_id):
    """The customer's rows in each table of the shop."""
    base = customer_id * 10_000
    return {
        "customers": shop.count("customers", f"id = {customer_id}"),
        "addresses": shop.count("addresses", f"customer_id = {customer_id}"),
        "loyalty": shop.count("loyalty", f"customer_id = {customer_id}"),
        "orders": shop.count("orders", f"customer_id = {customer_id}"),
        "order_lines": shop.count(
            "order_lines", f"order_id >= {base} AND order_id < {base + 10_000}"
        ),
    }


def _erase(platform, person):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, person.identity, RequestKind.ERASURE)
        reply = erasure.erase(uow, made.id)
        return made.reference, made.id, reply


@pytest.mark.policy("PP-R-ACCESS")
def test_access_copy_carries_the_persons_rows_from_the_external_store(platform, shops):
    """Every row of the person, grouped by table; no secret column; nobody else's rows."""
    shop = shops("shop")
    shop.fill([(1, "Alice.Shop@example.com", 2), (2, BOB, 3)])
    alice = seed_customer(platform, ALICE)
    seed_customer(platform, BOB)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        copy = access.collect(uow, alice.subject_id)
    [section] = copy.external
    assert section["store"] == "shop"
    tables = section["tables"]
    assert {name: len(t["rows"]) for name, t in tables.items()} == {
        "customers": 1, "addresses": 1, "loyalty": 1, "orders": 2, "order_lines": 6,
    }  # fmt: skip
    assert tables["customers"]["rows"][0]["email"] == "Alice.Shop@example.com"
    assert "password_hash" not in tables["customers"]["rows"][0]
    assert "password_hash" in tables["customers"]["left_out"]
    document = copy.to_json().decode()
    assert BOB not in document
    assert "notarealhash" not in document
    assert json.loads(document)["external_stores"][0]["store"] == "shop"
    assert "Shop Customer 1" in copy.to_html().decode()
    assert "marketing_preferences" in section["categories"]


@pytest.mark.policy("PP-R-ACCESS")
def test_access_request_delivers_the_external_rows(platform, shops):
    """Fulfilling an access request puts the shop's rows in the delivered copy."""
    shop = shops("shop")
    shop.fill([(1, ALICE, 1)])
    alice = seed_customer(platform, ALICE)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, alice.identity, RequestKind.PORTABILITY)
        fulfil.fulfil(uow, made.id)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert "portability" in rights_service.get(uow, made.id).kind.value
        sections = service.external_access(uow, alice.subject_id)
    assert len(sections[0]["tables"]["order_lines"]["rows"]) == 3


@pytest.mark.policy("PP-R-ERASE")
def test_erasure_deletes_children_first_in_one_transaction_and_records_it(platform, shops):
    """All the person's rows go, in the derived order (the store enforces its keys);
    another customer's rows stay; the run records what was deleted where."""
    shop = shops("shop")
    shop.fill([(1, ALICE, 2), (2, BOB, 2)])
    alice = seed_customer(platform, ALICE)
    bob = seed_customer(platform, BOB)
    del bob
    # The store enforces its foreign keys: the parent first is refused.
    engine = create_engine(shop.url)
    with engine.connect() as conn:
        if shop.database is None:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        with pytest.raises(IntegrityError):
            conn.execute(text("DELETE FROM customers WHERE id = 1"))
    engine.dispose()
    reference, request_id, reply = _erase(platform, alice)
    assert _rows_of(shop, 1) == dict.fromkeys(SHOP_TABLES, 0)
    assert _rows_of(shop, 2) == {
        "customers": 1, "addresses": 1, "loyalty": 1, "orders": 2, "order_lines": 6,
    }  # fmt: skip
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        [run] = service.runs(uow, reference)
        assert run.state is RunState.DONE
        counts = json.loads(run.counts)
        order = service.stores(platform).graph(service.dataset(uow, "shop")).order
        outcome = rights_service.get(uow, request_id)
        stored_outcome = json.dumps(rights_service.details_of(outcome)) + str(outcome.__dict__)
    assert counts == {
        "customers": {"action": "deleted", "rows": 1},
        "addresses": {"action": "deleted", "rows": 1},
        "loyalty": {"action": "deleted", "rows": 1},
        "orders": {"action": "deleted", "rows": 2},
        "order_lines": {"action": "deleted", "rows": 6},
    }
    assert order.index("order_lines") < order.index("orders") < order.index("customers")
    assert order.index("orders") < order.index("addresses")
    assert "shop" in stored_outcome
    assert reply.deleted["customers"] == 1


@pytest.mark.policy("PP-R-ERASE")
def test_a_failing_store_rolls_back_alone_stays_failed_and_a_retry_completes_it(platform, shops):
    """A trigger refuses the last delete in one store: that store keeps every row (its
    transaction rolled back), its run is failed with the error class; the other store and
    Klaremont's own erasure stand; a retry after the fault is fixed erases it."""
    good = shops("books")
    bad = shops("shop")
    for shop in (good, bad):
        shop.fill([(1, ALICE, 2), (2, BOB, 1)])
    bad.refuse_deletes("customers")  # deleted last: every child delete ran before it
    alice = seed_customer(platform, ALICE)
    reference, request_id, _reply = _erase(platform, alice)
    assert _rows_of(good, 1) == dict.fromkeys(SHOP_TABLES, 0)
    assert _rows_of(bad, 1) == {
        "customers": 1, "addresses": 1, "loyalty": 1, "orders": 2, "order_lines": 6,
    }  # fmt: skip
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        states = {r.store: (r.state, r.error_class) for r in service.runs(uow, reference)}
        failed = [r for r in service.runs(uow) if r.state is RunState.FAILED]
    assert states["books"] == (RunState.DONE, None)
    assert states["shop"][0] is RunState.FAILED
    assert states["shop"][1]  # the class only, never the message
    assert [r.store for r in failed] == ["shop"]
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        outcome = json.loads(rights_service.get(uow, request_id).outcome or "{}")
    assert outcome["external"] == {"books": "done", "shop": "failed"}  # visible on the request
    bad.allow_deletes("customers")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        results = service.retry(uow, reference)
    assert [(r["store"], r["state"], r["attempts"]) for r in results] == [("shop", "done", 2)]
    assert _rows_of(bad, 1) == dict.fromkeys(SHOP_TABLES, 0)
    assert _rows_of(bad, 2)["order_lines"] == 3
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.scalars(
            select(ConnectorRun.state).where(ConnectorRun.reference == reference)
        ).all() == [RunState.DONE, RunState.DONE]


@pytest.mark.policy("PP-R-ERASE")
def test_masking_keeps_rows_that_must_stay_and_records_the_fields(platform, shops):
    """Orders kept for the accounts are masked, their lines kept; addresses deleted after
    the orders' links to them are cleared; the fields masked are recorded."""
    shop = shops("shop", mask=True)
    shop.fill([(1, ALICE, 2), (2, BOB, 1)])
    alice = seed_customer(platform, ALICE)
    reference, _request_id, _reply = _erase(platform, alice)
    assert shop.count("customers", "id = 1 AND email IS NULL AND name IS NULL") == 1
    assert shop.count("orders", "customer_id = 1 AND shipping_name = 'erased'") == 2
    assert shop.count("orders", "customer_id = 1 AND address_id IS NULL") == 2
    assert shop.count("addresses", "customer_id = 1") == 0
    assert shop.count("order_lines", "order_id >= 10000 AND order_id < 20000") == 6
    assert shop.count("customers", f"email = '{BOB}'") == 1
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        [run] = service.runs(uow, reference)
    counts = json.loads(run.counts)
    assert counts["customers"] == {
        "action": "masked", "rows": 1, "fields": ["email", "name", "password_hash", "phone"],
    }  # fmt: skip
    assert counts["orders"] == {
        "action": "masked", "rows": 2, "fields": ["address_id", "shipping_name"],
    }  # fmt: skip
    assert counts["addresses"] == {"action": "deleted", "rows": 1}
    assert "order_lines" not in counts


@pytest.mark.policy("PP-R-ACCESS")
def test_a_store_abroad_without_a_safeguard_is_refused_by_the_transfer_guard(platform, shops):
    """The guard is asked about the store's country before any row is read."""
    shop = shops("shop", country="US")
    shop.fill([(1, ALICE, 1)])
    alice = seed_customer(platform, ALICE)
    with (
        pytest.raises(TransferRefused, match="country"),
        platform.unit_of_work(actor=TEST_ACTOR) as uow,
    ):
        access.collect(uow, alice.subject_id)
