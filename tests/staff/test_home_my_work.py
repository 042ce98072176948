"""The console home is the signed-in person's work list (issue 13): every capability's
``my_work`` contribution, limited by that person's permissions, most urgent first."""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text

from klaremont import capabilities
from klaremont.capabilities import Capability, Job
from klaremont.jobs.config import find_job
from klaremont.jobs.runner import run_job
from klaremont.rights import due, intake
from klaremont.rights import my_work as rights_work
from klaremont.rights.models import RequestKind
from klaremont.staff import service_remote, service_review
from klaremont.staff.permissions import Role
from klaremont.staff.service_accounts import (
    account_by_username,
    account_permissions,
    set_line_manager,
)
from klaremont.testing.staff import TEST_ACTOR, make_staff, staff_client
from klaremont.work import Urgency, WorkItem, gather, section_of

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "rights"))

from rights_support import Person, seed_person

if TYPE_CHECKING:
    from klaremont.clock import ManualClock
    from klaremont.platform import Platform, UnitOfWork
    from klaremont.work import WorkPrincipal

SECTION = "Throwaway work"
_TAGS = re.compile(r"(?:<[^>]+>|\s)+")
THROWAWAY = "throwaway_home"


def broken(uow: UnitOfWork, principal: WorkPrincipal) -> list[WorkItem]:
    """A contribution that fails after touching the database."""
    uow.session.execute(text("SELECT 1"))
    del principal
    msg = "the throwaway section is broken (customer jane@example.com)"
    raise RuntimeError(msg)


def explode(platform: Platform) -> str:
    """A scheduled job that fails."""
    del platform
    msg = "no route to the warehouse"
    raise RuntimeError(msg)


@contextmanager
def registered(capability: Capability) -> Iterator[None]:
    capabilities.register(capability)
    try:
        yield
    finally:
        capabilities.unregister(capability.name)


def _home(platform: Platform, name: str, role: Role) -> str:
    make_staff(platform, name, role)
    with staff_client(platform, name) as client:
        page = client.get("/staff/")
    assert page.status_code == 200, page.text
    return page.text


def _two_requests(platform: Platform, clock: ManualClock) -> tuple[Person, Person, str, str]:
    """A request received 36 days ago (overdue) and one 26 days ago (due within 7 days)."""
    alice = seed_person(platform, "alice")
    bob = seed_person(platform, "bob")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        late = intake.submit_signed_in(uow, alice.identity, RequestKind.ACCESS).reference
    clock.advance(timedelta(days=10))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        soon = intake.submit_signed_in(uow, bob.identity, RequestKind.ERASURE).reference
    clock.advance(timedelta(days=26))
    return alice, bob, late, soon


def _items(page: str) -> list[str]:
    """The work list's lines, in order, as plain text."""
    lines = re.findall(r'<li class="work-item (\w+)">(.*?)</li>', page, flags=re.DOTALL)
    return [
        f"{urgency}: {_TAGS.sub(' ', body).strip().replace(' :', ':')}" for urgency, body in lines
    ]


def test_the_dpo_sees_overdue_and_due_requests_with_days_left_and_links(platform, clock):
    alice, bob, late, soon = _two_requests(platform, clock)
    page = _home(platform, "dora", Role.DPO)
    items = _items(page)
    overdue = next(i for i in items if late in i)
    due = next(i for i in items if soon in i)
    assert overdue.startswith("overdue:")
    assert re.search(r"\d+ days? overdue", overdue)
    assert due.startswith("due:")
    assert re.search(r"\d+ days? left", due)
    assert items.index(overdue) < items.index(due)  # most urgent first
    assert f'href="/staff/requests/{late}"' in page
    assert f'href="/staff/requests/{soon}"' in page
    assert "Nothing waiting" not in page
    assert "your roles (data protection officer)" in page
    for person in (alice, bob):  # references only: no names, no addresses
        assert person.email not in page
        for value in person.canaries.values():
            assert value not in page


def test_support_sees_the_requests_but_not_the_access_review(platform, clock):
    _alice, _bob, late, soon = _two_requests(platform, clock)
    page = _home(platform, "sue", Role.SUPPORT_AGENT)
    assert late in page
    assert soon in page
    assert "/staff/access-review" not in page
    assert "Access review" not in page
    assert "Identity checks" not in page  # the DPO's work


def test_the_iso_sees_accounts_locked_in_the_last_day_and_a_failed_job(platform, clock):
    job = Job("home-explode", f"{__name__}:explode", timedelta(hours=1), "a job that fails")
    make_staff(platform, "lou", Role.SUPPORT_AGENT)
    threshold = platform.policy.lockout.threshold
    with _anonymous(platform) as client:
        for _ in range(threshold):
            client.post("/api/auth/login", json={"username": "lou", "password": "wrong-one"})
    with registered(Capability(name=THROWAWAY, summary="t", package=__name__, jobs=(job,))):
        found = find_job("home-explode")
        assert found is not None
        run_job(platform, found, worker="host:1")
        page = _home(platform, "ida", Role.ISO)
        items = _items(page)
        assert any(i.startswith("due: Due Accounts locked in the last day: 1 ") for i in items), (
            items
        )
        assert any(i.startswith("overdue: Overdue Job home-explode failed") for i in items), items
        assert 'href="/staff/jobs"' in page
        assert 'href="/staff/people?status=locked"' in page
        assert "lou" not in page  # a count, not who
        clock.advance(timedelta(days=2))
        with staff_client(platform, "ida") as client:
            later = client.get("/staff/").text
    assert "Accounts locked in the last day" not in later


@contextmanager
def _anonymous(platform: Platform) -> Iterator[object]:
    from starlette.testclient import TestClient  # noqa: PLC0415 - test dependency only

    from klaremont.web.app import create_app  # noqa: PLC0415 - the web app loads late

    with TestClient(
        create_app(platform), base_url="https://testserver", client=("127.0.0.1", 50001)
    ) as client:
        yield client


def test_a_role_with_no_work_sees_nothing_waiting(platform):
    page = _home(platform, "mark", Role.MARKETING)
    assert "Nothing waiting for you" in page
    assert _items(page) == []
    assert "Password expires" in page  # the account summary stays


def test_a_failing_contribution_shows_its_section_and_the_rest_of_the_page(platform, clock):
    _alice, _bob, late, _soon = _two_requests(platform, clock)
    broken_cap = Capability(
        name=THROWAWAY,
        summary="t",
        package=__name__,
        extensions=(("my_work", f"{__name__}:broken"),),
    )
    with registered(broken_cap):
        page = _home(platform, "dora", Role.DPO)
    assert f"{SECTION}: could not load" in page
    assert late in page  # the other sections still show
    assert "jane@example.com" not in page


def test_a_failing_contribution_alone_does_not_say_nothing_is_waiting(platform):
    broken_cap = Capability(
        name=THROWAWAY,
        summary="t",
        package=__name__,
        extensions=(("my_work", f"{__name__}:broken"),),
    )
    with registered(broken_cap):
        page = _home(platform, "mark", Role.MARKETING)
    assert "could not load" in page
    assert "Nothing waiting" not in page


def test_items_sort_by_urgency_and_sections_are_named():
    def unnamed() -> None:
        """No SECTION in a module named like a capability's."""

    unnamed.__module__ = "klaremont.somecap.my_work"
    assert section_of(unnamed) == "somecap"  # type: ignore[arg-type]
    assert section_of(broken) == SECTION
    assert [u.rank for u in Urgency] == [0, 1, 2]


def test_gather_asks_every_contribution(platform, clock):
    _two_requests(platform, clock)
    make_staff(platform, "dora", Role.DPO)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        account = account_by_username(uow, "dora")
        work = gather(uow, Who(account.id, account_permissions(uow, account.id)))
    assert work.failed == []
    assert [i.urgency for i in work.items] == sorted(
        (i.urgency for i in work.items), key=lambda u: u.rank
    )


def test_the_dpo_sees_identity_checks_waiting_and_support_does_not(platform):
    alice = seed_person(platform, "alice")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        intake.submit_by_email(uow, alice.email, RequestKind.ACCESS)
    dpo = _items(_home(platform, "dora", Role.DPO))
    support = _home(platform, "sue", Role.SUPPORT_AGENT)
    assert any(i.startswith("info: For information Identity checks waiting") for i in dpo), dpo
    assert any(": 1 " in i for i in dpo if "Identity checks" in i)
    assert "Identity checks" not in support


def test_a_line_manager_and_technical_operations_see_remote_access_to_approve(platform):
    make_staff(platform, "mona", Role.SUPPORT_AGENT)
    make_staff(platform, "rick", Role.SUPPORT_AGENT)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        manager = account_by_username(uow, "mona")
        asker = account_by_username(uow, "rick")
        set_line_manager(uow, asker.id, manager.id, by="test")
        service_remote.request_grant(uow, asker, reason="working from home next week", days=5)
    for name, role in (("mona", None), ("otto", Role.TECHNICAL_OPERATIONS)):
        if role is not None:
            make_staff(platform, name, role)
        with staff_client(platform, name) as client:
            page = client.get("/staff/").text
        items = _items(page)
        wanted = "due: Due Remote-access requests waiting for your approval: 1"
        assert any(i.startswith(wanted) for i in items), (name, items)
        assert '<a href="/staff/remote-access">Remote-access requests waiting' in page
        assert "rick" not in page  # a count, not who
    asker_page = _items(_signed_in_home(platform, "rick"))
    assert not any("Remote-access" in i for i in asker_page)  # not their own request


def _signed_in_home(platform: Platform, name: str) -> str:
    with staff_client(platform, name) as client:
        return client.get("/staff/").text


def _work(platform: Platform, name: str) -> list[str]:
    """The work list as ``gather`` gives it (no sign-in: the clock may be past a password)."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        account = account_by_username(uow, name)
        who = Who(account.id, account_permissions(uow, account.id))
        return [f"{i.urgency.value}: {i.title} {i.detail}" for i in gather(uow, who).items]


@dataclass
class Who:
    account_id: uuid.UUID
    permissions: frozenset[StrEnum]


def test_the_access_review_is_due_again_before_its_interval_ends(platform, clock):
    make_staff(platform, "ida", Role.ISO)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        reviewer = account_by_username(uow, "ida")
        digest = service_review.build_report(uow).digest
        service_review.sign_off(uow, reviewer, digest=digest, notes=None)
    assert not any("to sign" in i for i in _work(platform, "ida"))
    interval = platform.policy.accounts.access_review_interval_days
    clock.advance(timedelta(days=interval - 10))
    soon = _work(platform, "ida")
    assert any(i.startswith("due: Access review to sign due ") for i in soon), soon
    clock.advance(timedelta(days=11))
    late = _work(platform, "ida")
    assert any(i.startswith("overdue: Access review to sign was due ") for i in late), late


def test_a_director_sees_flagged_accounts_but_nothing_to_sign(platform):
    make_staff(platform, "dave", Role.DIRECTOR)  # no line manager: flagged as orphaned
    items = _items(_signed_in_home(platform, "dave"))
    assert any("Accounts flagged in the access review" in i for i in items), items
    assert not any("to sign" in i for i in items)


def test_a_job_that_stopped_running_is_due(platform, clock):
    job = Job("home-count", f"{__name__}:count", timedelta(hours=1), "a job that counts")
    make_staff(platform, "otto", Role.TECHNICAL_OPERATIONS)
    with registered(Capability(name=THROWAWAY, summary="t", package=__name__, jobs=(job,))):
        found = find_job("home-count")
        assert found is not None
        run_job(platform, found, worker="host:1")
        assert "home-count" not in _signed_in_home(platform, "otto")
        clock.advance(timedelta(hours=5))
        items = _items(_signed_in_home(platform, "otto"))
    assert any(i.startswith("due: Due Job home-count has stopped running") for i in items), items


def count(platform: Platform) -> str:
    """A scheduled job that succeeds."""
    del platform
    return "counted"


def test_days_left_read_as_words_and_long_lists_end_in_a_count():
    assert rights_work._days(-1) == "1 day overdue"
    assert rights_work._days(-3) == "3 days overdue"
    assert rights_work._days(0) == "due today"
    assert rights_work._days(1) == "1 day left"
    today = date(2026, 12, 6)
    many = [
        due.DueItem(uuid.uuid4(), f"R-{n}", "access", "received", today, today, 0, False, "dpo")  # noqa: FBT003 - the dataclass's own field order
        for n in range(rights_work.SHOWN + 3)
    ]
    listed = rights_work._listed(many, Urgency.DUE, "due")
    assert len(listed) == rights_work.SHOWN + 1
    assert listed[-1].count == 3
    assert listed[-1].link == "/staff/requests"
