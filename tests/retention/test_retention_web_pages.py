"""The retention console (/staff/retention): the schedule, runs and holds in words for the
DPO and the ISO, refused to roles without retention:read; the DPO's litigation holds placed
and lifted through the forms; "Run now" purging what is due and its page showing it."""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from klaremont.audit.events import Actor, ActorType
from klaremont.clock import ManualClock
from klaremont.customers import service as customers
from klaremont.customers.models import CollectionChannel, Customer
from klaremont.customers.schemas import CustomerCreate
from klaremont.platform import Platform
from klaremont.retention.models import LitigationHold, RetentionRun
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff, staff_client

if TYPE_CHECKING:
    import httpx2 as httpx

BROWSER = {"Accept": "text/html"}
MAKER = Actor(ActorType.SYSTEM, "test")
ROLES = {
    "dora": Role.DPO,
    "iris": Role.ISO,
    "tom": Role.TECHNICAL_OPERATIONS,
    "sam": Role.SUPPORT_AGENT,
    "mia": Role.MARKETING,
}
_TAG = re.compile(r"<[^>]+>")
_UUID = re.compile(r"\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b")
_DETAILS = re.compile(r"<details.*?</details>", re.DOTALL)
THREE_YEARS = timedelta(days=3 * 366 + 2)

Signed = Callable[[str], TestClient]


def _text(page: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", page)).split())


def _customer(platform: Platform, name: str, email: str) -> str:
    """A customer account; its account reference."""
    body = CustomerCreate(
        name=name,
        email=email,
        date_of_birth=date(1990, 12, 10),
        channel=CollectionChannel.ACCOUNT_CREATION,
    )
    with platform.unit_of_work(actor=MAKER) as uow:
        return customers.create_customer(uow, body).reference


@pytest.fixture
def signed(platform: Platform) -> Iterator[Signed]:
    """A signed-in console client for a name of :data:`ROLES` (made when first asked for,
    so a test may move the clock before anyone signs in)."""
    made: dict[str, TestClient] = {}

    def client(name: str) -> TestClient:
        if name not in made:
            made[name] = staff_client(platform, make_staff(platform, name, ROLES[name]))
            made[name].__enter__()
        return made[name]

    yield client
    for one in made.values():
        one.__exit__(None, None, None)


def _form(client: TestClient, path: str, data: dict[str, str] | None = None) -> httpx.Response:
    return client.post(
        path,
        data={**(data or {}), "csrf_token": client.headers["X-CSRF-Token"]},
        headers=BROWSER,
        follow_redirects=False,
    )


def _no_ids_or_codes(page: str) -> None:
    """Staff read words: no UUID outside the pseudonymous-id disclosure, no target name,
    no policy key."""
    outside = _DETAILS.sub("", page)
    assert _UUID.search(outside) is None
    for raw in ("customers.identity", "last_activity", 'anonymise"', "retention.", "crypto_shred"):
        assert raw not in _text(outside), raw


@pytest.mark.policy("DP-RETAIN", "PP-KEEP")
def test_the_console_shows_the_schedule_in_words_to_the_dpo_and_the_iso(
    platform: Platform, signed: Signed
) -> None:
    _customer(platform, "Ada Lovelace", "ada@example.com")
    dpo = signed("dora").get("/staff/retention", headers=BROWSER)
    iso = signed("iris").get("/staff/retention", headers=BROWSER)
    assert dpo.status_code == iso.status_code == 200
    said = _text(dpo.text)
    assert "Name, date of birth, gender" in said
    assert "3 years" in said
    assert "The customer's last activity" in said
    assert "At least 6 years: HMRC" in said  # the invoices' legal minimum, in words
    assert "The nightly retention run Customers' names, dates of birth and genders" in said
    assert "The nightly audit archive" in said
    assert 'action="/staff/retention/run"' in dpo.text  # retention:run
    assert 'action="/staff/retention/run"' not in iso.text  # read only
    assert "Preview what is due" in _text(iso.text)
    assert 'href="/staff/retention/preview/report.html"' in iso.text
    _no_ids_or_codes(dpo.text)
    preview = signed("iris").get("/staff/retention/preview", headers=BROWSER)
    assert preview.status_code == 200
    assert "Rows due now 0" in _text(preview.text)  # a new account: nothing due yet
    _no_ids_or_codes(preview.text)


@pytest.mark.policy("IS-SENS-NEED")
def test_roles_without_retention_read_are_refused(platform: Platform, signed: Signed) -> None:
    for name in ("sam", "mia"):
        client = signed(name)
        for path in ("/staff/retention", "/staff/retention/preview", "/staff/retention/holds"):
            refused = client.get(path, headers=BROWSER)
            assert refused.status_code == 403, (name, path)
            assert "Name, date of birth" not in refused.text
    assert _form(signed("mia"), "/staff/retention/run").status_code == 403
    assert _form(signed("iris"), "/staff/retention/run").status_code == 403  # read, not run
    refused = _form(signed("iris"), "/staff/retention/holds", {"customer": "x", "reason": "y" * 12})
    assert refused.status_code == 403  # holds are the DPO's alone
    with platform.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(RetentionRun)) == 0
        assert uow.session.scalar(select(func.count()).select_from(LitigationHold)) == 0


@pytest.mark.policy("PP-R-ERASE", "PP-KEEP")
def test_the_dpo_places_and_lifts_a_hold_through_the_forms(
    platform: Platform, signed: Signed
) -> None:
    reference = _customer(platform, "Grace Hopper", "grace@example.com")
    dora = signed("dora")
    short = _form(dora, "/staff/retention/holds", {"customer": reference, "reason": "claim"})
    assert short.status_code == 422
    assert "Why the data must be kept: must be at least 10 characters" in _text(short.text)
    assert 'action="/staff/retention/holds"' in short.text  # the form again
    nobody = _form(
        dora,
        "/staff/retention/holds",
        {"customer": "nobody@example.com", "reason": "A claim about a refund"},
    )
    assert nobody.status_code == 422
    assert "Customer: no customer has that account reference or e-mail address" in _text(
        nobody.text
    )
    placed = _form(
        dora,
        "/staff/retention/holds",
        {"customer": "grace@example.com", "reason": "A claim about a disputed refund"},
    )
    assert placed.status_code == 303, placed.text
    page = placed.headers["location"]
    assert page.startswith("/staff/retention/holds/LH-2026-")
    shown = _text(dora.get(page, headers=BROWSER).text)
    assert "Litigation hold placed" in shown
    assert f"Customer {reference}" in shown
    assert "In force" in shown
    assert "2 March 2026" in shown
    twice = _form(
        dora,
        "/staff/retention/holds",
        {"customer": reference, "reason": "The same claim again, twice"},
    )
    assert twice.status_code == 409
    assert "already under a litigation hold" in _text(twice.text)
    listed = _text(signed("iris").get("/staff/retention", headers=BROWSER).text)
    assert "A claim about a disputed refund" in listed  # in force, seen by the ISO
    hold = page.split("?")[0].rsplit("/", 1)[1]
    lift = f"/staff/retention/holds/{hold}/lift"
    assert _form(signed("iris"), lift, {"reason": "The claim is settled now"}).status_code == 403
    bad = _form(dora, lift, {"reason": "done"})
    assert bad.status_code == 422
    said = _text(bad.text)
    assert "Why the hold can be lifted: must be at least 10 characters" in said
    assert "In force" in said  # the hold's page again, with its form
    assert f'action="{lift}"' in bad.text
    lifted = _form(dora, lift, {"reason": "The claim was settled in court"})
    assert lifted.status_code == 303
    after = _text(dora.get(lifted.headers["location"], headers=BROWSER).text)
    assert "Litigation hold lifted" in after
    assert "The claim was settled in court" in after
    assert 'action="' + lift not in after
    again = _form(dora, lift, {"reason": "The claim was settled in court"})
    assert again.status_code == 409
    assert "was already lifted" in _text(again.text)
    holds = _text(dora.get("/staff/retention/holds", headers=BROWSER).text)
    assert "No litigation holds in force." in holds
    assert "Lifted" in holds
    assert dora.get("/staff/retention/holds/LH-2026-9999", headers=BROWSER).status_code == 404


@pytest.fixture
def due(platform: Platform, signed: Signed, clock: ManualClock) -> tuple[str, str]:
    """Two customers quiet for three years, one under the DPO's litigation hold: their
    account references (due, held)."""
    gone = _customer(platform, "Ada Lovelace", "ada@example.com")
    held = _customer(platform, "Grace Hopper", "grace@example.com")
    reason = {"customer": held, "reason": "A claim about a refund"}
    assert _form(signed("dora"), "/staff/retention/holds", reason).status_code == 303
    clock.advance(THREE_YEARS)
    return gone, held


@pytest.mark.policy("DP-RETAIN", "PP-KEEP")
def test_the_preview_shows_what_is_due_and_what_holds_keep(
    signed: Signed, due: tuple[str, str]
) -> None:
    del due
    iris = signed("iris")
    preview = iris.get("/staff/retention/preview", headers=BROWSER)
    assert preview.status_code == 200
    said = _text(preview.text)
    assert "Name, date of birth, gender" in said
    assert re.search(r"Litigation hold LH-2026-0001 \(placed by the Data Protection Officer", said)
    assert "Pseudonymous ids of the 1 row due" in said
    _no_ids_or_codes(preview.text)
    download = iris.get("/staff/retention/preview/report.json")
    assert download.headers["content-disposition"].startswith("attachment;")
    report = json.loads(download.text)
    assert report["dry_run"] is True
    assert report["total_due"] >= 1
    standalone = iris.get("/staff/retention/preview/report.html")
    assert "Retention dry run" in standalone.text
    assert "style-src 'sha256-" in standalone.headers["content-security-policy"]
    console = _text(iris.get("/staff/retention", headers=BROWSER).text)
    assert "Latest previews" in console  # the preview is recorded as a dry run


@pytest.mark.policy("DP-RETAIN", "PP-KEEP", "IS-SENS-DISPOSE")
def test_run_now_purges_what_is_due_and_its_page_shows_it(
    platform: Platform, signed: Signed, due: tuple[str, str]
) -> None:
    gone, held = due
    assert _form(signed("mia"), "/staff/retention/run").status_code == 403
    ran = _form(signed("tom"), "/staff/retention/run")
    assert ran.status_code == 303, ran.text
    location = ran.headers["location"]
    assert re.fullmatch(r"/staff/retention/runs/R-2029-\d{4}\?done=run", location)
    said = _text(signed("tom").get(location, headers=BROWSER).text)
    assert "The run finished." in said
    assert "State Finished" in said
    assert re.search(r"Data keys destroyed \d+ ", said)
    assert "Name, date of birth, gender" in said
    assert "Pseudonymous ids of the 1 row dealt with" in said
    assert re.search(r"1 row: Litigation hold LH-2026-0001", said)
    _no_ids_or_codes(signed("tom").get(location, headers=BROWSER).text)
    with platform.unit_of_work() as uow:
        names = {c.reference: c.name for c in uow.session.scalars(select(Customer))}
        run = uow.session.scalars(select(RetentionRun).where(RetentionRun.dry_run.is_(False))).one()
    assert names[gone] is None  # anonymised
    assert names[held] is not None  # kept by the hold
    assert run.status == "finished"
    assert run.rows >= 1
    listed = _text(signed("iris").get("/staff/retention", headers=BROWSER).text)
    assert f"{run.reference}" in listed
    assert "Finished" in listed
    stored = signed("iris").get(f"/staff/retention/runs/{run.reference}/report.json")
    report = json.loads(stored.text)
    assert report["dry_run"] is False
    assert report["total_done"] == run.rows
    identity = next(p for p in report["plans"] if p["category"] == "identity")
    assert len(identity["ids"]) == 1
    missing = signed("iris").get(f"/staff/retention/runs/{uuid.uuid4()}", headers=BROWSER)
    assert missing.status_code == 404


@pytest.mark.policy("DP-RETAIN")
def test_run_now_beside_a_working_run_says_so_on_the_page(
    platform: Platform, signed: Signed
) -> None:
    with platform.unit_of_work() as uow:
        now = uow.clock.now()
        uow.session.add(
            RetentionRun(
                reference="R-2026-0001",
                dry_run=False,
                started_at=now,
                heartbeat_at=now,
                status="running",
                started_by="klaremont",
                owner="another-host:4242",  # alive as far as this process can tell
                counts="{}",
                kept="{}",
            )
        )
    busy = _form(signed("tom"), "/staff/retention/run")
    assert busy.status_code == 409
    said = _text(busy.text)
    assert "Another retention run is working now" in said
    assert "Running" in said  # the working run is listed
    assert "Name, date of birth, gender" in said  # the console, drawn again
    with platform.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(RetentionRun)) == 1
