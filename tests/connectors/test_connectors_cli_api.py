"""``klaremont connectors`` and ``/api/connectors``: list, check, a customer's rows, the
runs of a request and the retry of a failed store; read endpoints need the permission."""

from __future__ import annotations

import json

import pytest
from connectors_support import TEST_ACTOR, seed_customer
from typer.testing import CliRunner

from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.connectors import demo_shop
from klaremont.rights import erasure, intake
from klaremont.rights.states import RequestKind
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff, staff_client

ALICE = "alice.cli@example.com"


@pytest.fixture
def run(platform):
    """Invoke ``klaremont ...`` against the test platform."""
    use_platform(platform)
    runner = CliRunner()
    yield lambda *args: runner.invoke(main.app, list(args))
    use_platform(None)


@pytest.mark.policy("PP-R-ERASE")
def test_cli_lists_checks_reads_and_retries(platform, shops, run):
    """The shell shows the store, its erasure order, a customer's rows, and retries."""
    shop = shops("shop")
    shop.fill([(1, ALICE, 1)])
    alice = seed_customer(platform, ALICE)
    listed = run("connectors", "list")
    assert listed.exit_code == 0, listed.output
    assert "KT_SHOP_URL_SHOP" in listed.output
    assert shop.url not in listed.output
    checked = run("connectors", "check")
    assert checked.exit_code == 0, checked.output
    assert "order_lines" in checked.output
    read = run("connectors", "access", ALICE)
    assert read.exit_code == 0, read.output
    stores = json.loads(read.output)[0]["stores"]
    assert len(stores[0]["tables"]["order_lines"]["rows"]) == 3
    shop.refuse_deletes("customers")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, alice.identity, RequestKind.ERASURE)
        erasure.erase(uow, made.id)
        reference = made.reference
    runs = run("connectors", "runs", reference)
    assert "failed" in runs.output
    still = run("connectors", "retry", reference)
    assert still.exit_code == 1
    shop.allow_deletes("customers")
    retried = run("connectors", "retry", reference)
    assert retried.exit_code == 0, retried.output
    assert "shop: done" in retried.output
    assert shop.count("customers") == 0


def test_api_reads_need_the_permission_and_name_no_url(platform, shops):
    """The DPO reads stores, checks and runs; a support agent is refused."""
    shop = shops("shop")
    shop.fill([(1, ALICE, 2)])
    alice = seed_customer(platform, ALICE)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, alice.identity, RequestKind.ERASURE)
        erasure.erase(uow, made.id)
    dpo = staff_client(platform, make_staff(platform, "dpo-conn", Role.DPO))
    stores = dpo.get("/api/connectors/stores")
    assert stores.status_code == 200, stores.text
    assert stores.json()[0]["url_env"] == "KT_SHOP_URL_SHOP"
    assert stores.json()[0]["sqlite_file"] is None
    assert shop.url not in stores.text
    assert dpo.get("/api/connectors/check").json()[0]["ok"] is True
    runs = dpo.get("/api/connectors/runs", params={"request": made.reference}).json()
    assert runs[0]["state"] == "done"
    assert runs[0]["counts"]["order_lines"] == {"action": "deleted", "rows": 6}
    retried = dpo.post(f"/api/connectors/runs/{made.reference}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json() == []
    agent = staff_client(platform, make_staff(platform, "agent-conn", Role.SUPPORT_AGENT))
    assert agent.get("/api/connectors/runs").status_code == 403


def test_api_lists_a_store_kept_in_a_sqlite_file(platform, datasets_dir):
    """A store declared by its SQLite file (as the demo's shop is) has no URL variable: the
    list names the file (it answered 500 for every caller once)."""
    (datasets_dir / "till.toml").write_text(
        demo_shop.dataset_text("till", sqlite_file="till.db"), encoding="utf-8"
    )
    dpo = staff_client(platform, make_staff(platform, "dpo-file", Role.DPO))
    stores = dpo.get("/api/connectors/stores")
    assert stores.status_code == 200, stores.text
    [till] = stores.json()
    assert (till["name"], till["url_env"], till["sqlite_file"]) == ("till", None, "till.db")
    assert str(datasets_dir) not in stores.text  # the file's name, not where it lives
