"""The DPO stops a request's clock while waiting for the requester and starts it again: the
due date moves by the days paused, the requester is told both times, refusals are clear,
everything is audited, through the service, the case page, the API and the command line
(DP-PROMPT, DP-DPO; UK GDPR Art. 12(3), the ICO's "stop the clock")."""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import timedelta

import pytest
from rights_support import TEST_ACTOR, make_staff, outbox_bodies, staff_client
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from klaremont.audit.models import AuditEvent
from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.errors import ValidationFailed
from klaremont.rights import due, intake, pauses, service
from klaremont.rights.models import ClockPause, RightsRequest
from klaremont.rights.my_work import items as my_work_items
from klaremont.rights.permissions import RightsPermission
from klaremont.rights.states import IntakeChannel, PauseReason, RequestKind, TransitionRefused
from klaremont.staff.permissions import Role

HTML = {"accept": "text/html"}
BASE = "/api/rights"
_TAG = re.compile(r"<[^>]+>")
NOTE = "asked which branch visit they mean: Leeds in March or York in May"


def _said(page: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", page)).split())


def _verified(platform, person, kind: RequestKind = RequestKind.ACCESS) -> str:
    """A request made in the privacy centre by the signed-in person: verified, clock running."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        return intake.submit_signed_in(uow, person.identity, kind).reference


def _request(uow, reference: str) -> RightsRequest:
    return service.find(uow, reference)


def _audited(platform, action: str) -> list[str]:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        return list(
            uow.session.scalars(select(AuditEvent.details).where(AuditEvent.action == action)).all()
        )


def _stops(platform) -> int:
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(ClockPause)) or 0)


@pytest.mark.policy("DP-PROMPT", "DP-DPO")
def test_pausing_moves_the_due_date_by_the_days_paused(platform, clock, alice):
    """Paused on day 3 and resumed 5 days later: due 5 days later than before, live while
    paused and stored once resumed; the requester gets a mail each time, saying what is
    needed in fixed words, never the note; both changes are audited without the note."""
    reference = _verified(platform, alice)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        first_due = _request(uow, reference).due_on
    clock.advance(timedelta(days=3))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        stop = pauses.pause(uow, _request(uow, reference), PauseReason.CLARIFICATION, NOTE)
        assert stop.days is None
    clock.advance(timedelta(days=5))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        request = _request(uow, reference)
        assert service.deadline_of(uow, request).due == first_due + timedelta(days=5)  # live
        assert [i.reference for i in due.due_report(uow).clock_paused] == [reference]
        ended = pauses.resume(uow, request)
        assert ended is not None
        assert ended.days == 5
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        request = _request(uow, reference)
        assert request.due_on == first_due + timedelta(days=5)  # stored for the DPO's lists
        assert request.clock_stopped_at is None
        assert request.stopped_days == 5
        assert service.deadline_of(uow, request).paused_days == 5
        assert due.due_report(uow).clock_paused == []
    paused_mail = outbox_bodies(platform, alice.subject_id, "request_paused")
    resumed_mail = outbox_bodies(platform, alice.subject_id, "request_resumed")
    assert len(paused_mail) == 1
    assert len(resumed_mail) == 1
    assert reference in paused_mail[0]
    assert "tell us more precisely what your request is about" in paused_mail[0]
    assert "Leeds" not in paused_mail[0]
    assert "runs again" in resumed_mail[0]
    paused_events = _audited(platform, "dsr.pause")
    resumed_events = _audited(platform, "dsr.resume")
    assert len(paused_events) == 1
    assert len(resumed_events) == 1
    paused_said, resumed_said = json.loads(paused_events[0]), json.loads(resumed_events[0])
    assert paused_said["reason"] == "clarification"
    assert paused_said["note_recorded"] is True
    assert paused_said["requester_told"] is True
    assert resumed_said["days"] == 5
    assert resumed_said["due_on"] == (first_due + timedelta(days=5)).isoformat()
    assert "Leeds" not in paused_events[0] + resumed_events[0]


@pytest.mark.policy("DP-PROMPT")
def test_a_second_pause_counts_too_and_a_same_day_pause_counts_nothing(platform, clock, alice):
    """Stops add up: 2 days, then one paused and resumed the same day (0), then 3 days."""
    reference = _verified(platform, alice)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        first_due = _request(uow, reference).due_on
    for days in (2, 0, 3):
        with platform.unit_of_work(actor=TEST_ACTOR) as uow:
            pauses.pause(uow, _request(uow, reference), PauseReason.IDENTIFICATION)
        clock.advance(timedelta(days=days, hours=1))
        with platform.unit_of_work(actor=TEST_ACTOR) as uow:
            pauses.resume(uow, _request(uow, reference))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        request = _request(uow, reference)
        assert request.due_on == first_due + timedelta(days=5)
        assert [s.days for s in pauses.stops_of(uow, request)] == [2, 0, 3]


@pytest.mark.policy("DP-PROMPT")
def test_refusals_are_clear_and_change_nothing(platform, clock, alice, bob):
    """A closed request, a second pause, resuming a running clock, a request still waiting
    for its identity check, "other" without a note, a note with a card number: each refused
    with what is wrong; no stop, no mail, no audit event."""
    running = _verified(platform, alice)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        pending = intake.submit_for_customer(
            uow, bob.reference, RequestKind.ERASURE, IntakeChannel.LETTER
        ).reference
    with platform.unit_of_work(actor=TEST_ACTOR) as uow, pytest.raises(pauses.ClockNotPaused):
        pauses.resume(uow, _request(uow, running))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        with pytest.raises(pauses.ClockAlreadyPaused, match="identity is confirmed"):
            pauses.pause(uow, _request(uow, pending), PauseReason.CLARIFICATION)
        with pytest.raises(pauses.ClockNotPaused, match="waits for the identity check"):
            pauses.resume(uow, _request(uow, pending))
    for reason, note, field in (
        (PauseReason.OTHER, None, "note"),
        (PauseReason.OTHER, "  ", "note"),
        (PauseReason.CLARIFICATION, "card 4111 1111 1111 1111", "note"),
        (PauseReason.CLARIFICATION, "x" * 501, "note"),
    ):
        with platform.unit_of_work(actor=TEST_ACTOR) as uow, pytest.raises(ValidationFailed) as e:
            pauses.pause(uow, _request(uow, running), reason, note)
        assert [p.field for p in e.value.problems] == [field]
    assert _stops(platform) == 0
    assert _audited(platform, "dsr.pause") == []
    assert outbox_bodies(platform, alice.subject_id, "request_paused") == []
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        pauses.pause(uow, _request(uow, running), PauseReason.OTHER, "the order number")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        with pytest.raises(pauses.ClockAlreadyPaused, match="already paused") as twice:
            pauses.pause(uow, _request(uow, running), PauseReason.CLARIFICATION)
        assert twice.value.status == 409
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        service.refuse(uow, _request(uow, running), "withdrawn by the requester")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        with pytest.raises(TransitionRefused, match="already refused"):
            pauses.pause(uow, _request(uow, running), PauseReason.CLARIFICATION)
        with pytest.raises(pauses.ClockNotPaused):
            pauses.resume(uow, _request(uow, running))
    assert _stops(platform) == 1
    assert len(_audited(platform, "dsr.pause")) == 1


@pytest.mark.policy("DP-PROMPT")
def test_closing_a_paused_request_ends_the_pause(platform, clock, alice):
    """Refused after 4 days paused (the requester never answered): the stop ends with the
    request and its days count; the closing event says so."""
    reference = _verified(platform, alice)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        first_due = _request(uow, reference).due_on
        pauses.pause(uow, _request(uow, reference), PauseReason.CLARIFICATION)
    clock.advance(timedelta(days=4))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        service.refuse(uow, _request(uow, reference), "no clarification came")
    clock.advance(timedelta(days=10))
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        request = _request(uow, reference)
        assert request.clock_stopped_at is None
        assert request.due_on == first_due + timedelta(days=4)
        assert service.deadline_of(uow, request).due == first_due + timedelta(days=4)
        assert [s.days for s in pauses.stops_of(uow, request)] == [4]
    closing = [json.loads(d) for d in _audited(platform, "dsr.refuse")]
    assert [d.get("clock_stop_ended_days") for d in closing] == [4]


@pytest.mark.policy("DP-DPO")
def test_the_note_is_sealed(platform, alice):
    """The note is not stored in clear, nor audited, nor mailed."""
    reference = _verified(platform, alice)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        pauses.pause(uow, _request(uow, reference), PauseReason.OTHER, NOTE)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        stored = uow.session.execute(text("SELECT note FROM dsr_clock_pauses")).scalar_one()
        assert b"Leeds" not in bytes(stored)
        assert pauses.stops_of(uow, _request(uow, reference))[0].note == NOTE
        details = " ".join(uow.session.scalars(select(AuditEvent.details)))
    assert "Leeds" not in details
    assert "Leeds" not in " ".join(outbox_bodies(platform, alice.subject_id, "request_paused"))


@pytest.fixture
def dpo(platform):
    """A signed-in Data Protection Officer (a browser)."""
    make_staff(platform, "dpo", Role.DPO)
    with staff_client(platform, "dpo") as client:
        client.headers.update(HTML)
        yield client


@pytest.mark.policy("DP-PROMPT", "DP-DPO")
def test_the_case_page_pauses_and_resumes_the_clock(platform, clock, alice, dpo):
    """Pause clock on the case page: the clock says since when and why, the note shows, the
    history tells it; bad input names the field; pausing twice is refused on the page;
    resuming two days later moves the due date shown by two days."""
    reference = _verified(platform, alice)
    case = f"/staff/requests/{reference}"
    assert f'action="{case}/pause"' in dpo.get(case).text
    assert f'action="{case}/resume"' not in dpo.get(case).text
    missing = dpo.post(f"{case}/pause", data={"reason": "other"})
    assert missing.status_code == 422
    assert "What is needed (required for other): say what is needed" in _said(missing.text)
    wrong = dpo.post(f"{case}/pause", data={"reason": "holiday"})
    assert wrong.status_code == 422
    assert "Why the clock stops: choose one of the reasons offered" in _said(wrong.text)
    assert _stops(platform) == 0
    paused = dpo.post(
        f"{case}/pause", data={"reason": "clarification", "note": NOTE}, follow_redirects=True
    )
    assert paused.status_code == 200
    said = _said(paused.text)
    assert "Clock paused; the requester was told what is needed." in said
    assert "Paused since" in said
    assert "waiting for the requester to clarify the request" in said
    assert NOTE in said
    assert "Clock paused: waiting for the requester to clarify the request" in said
    assert f'action="{case}/resume"' in paused.text
    assert f'action="{case}/pause"' not in paused.text
    twice = dpo.post(f"{case}/pause", data={"reason": "identification"})
    assert twice.status_code == 409
    assert "already paused" in _said(twice.text)
    due_before = re.search(r'id="due">(\d\d/\d\d/\d{4})', dpo.get(case).text)
    assert due_before
    clock.advance(timedelta(days=2))
    with staff_client(platform, "dpo") as fresh:
        fresh.headers.update(HTML)
        resumed = fresh.post(f"{case}/resume", follow_redirects=True)
        assert resumed.status_code == 200
        said = _said(resumed.text)
        assert "Clock running again" in said
        assert "Clock resumed after 2 days; requester told" in said
        assert "paused 2 days in all" in said
        again = fresh.post(f"{case}/resume")
        assert again.status_code == 409
        assert "is not paused" in _said(again.text)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        due_on = _request(uow, reference).due_on
    assert due_on.strftime("%d/%m/%Y") in said
    assert due_on.strftime("%d/%m/%Y") != due_before.group(1)


@pytest.mark.policy("DP-PROMPT", "DP-DPO")
def test_the_api_pauses_and_resumes_with_problem_answers(platform, clock, alice):
    """POST .../pause and .../resume answer the request; refusals are problem+json (409 for a
    clash with the state, 422 naming the field); both routes are in the OpenAPI document."""
    make_staff(platform, "dpo", Role.DPO)
    reference = _verified(platform, alice)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        request_id = str(_request(uow, reference).id)
    with staff_client(platform, "dpo") as api:
        schema = api.get("/openapi.json").json()
        for action in ("pause", "resume"):
            operation = schema["paths"][f"{BASE}/requests/{{request_id}}/{action}"]["post"]
            assert "409" in operation["responses"]
        running = api.post(f"{BASE}/requests/{request_id}/resume")
        assert running.status_code == 409
        assert running.headers["content-type"].startswith("application/problem+json")
        assert running.json()["type"].endswith("/dsr-clock-running")
        no_note = api.post(f"{BASE}/requests/{request_id}/pause", json={"reason": "other"})
        assert no_note.status_code == 422
        assert [e["field"] for e in no_note.json()["errors"]] == ["note"]
        unknown = api.post(f"{BASE}/requests/{request_id}/pause", json={"reason": "lunch"})
        assert unknown.status_code == 422
        paused = api.post(
            f"{BASE}/requests/{request_id}/pause",
            json={"reason": "identification", "note": "a recent utility bill"},
        )
        assert paused.status_code == 200, paused.text
        body = paused.json()
        assert body["clock_paused_since"] is not None
        first_due = body["due_on"]
        twice = api.post(f"{BASE}/requests/{request_id}/pause", json={"reason": "other"})
        assert twice.status_code == 409  # the state is checked before the note
        assert twice.json()["type"].endswith("/dsr-clock-paused")
        assert "bill" not in twice.text
        listed = api.get(f"{BASE}/due").json()
        assert [i["reference"] for i in listed["clock_paused"]] == [reference]
    clock.advance(timedelta(days=3))
    with staff_client(platform, "dpo") as api:
        resumed = api.post(f"{BASE}/requests/{request_id}/resume")
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["clock_paused_since"] is None
        assert resumed.json()["paused_days"] == 3
        assert resumed.json()["due_on"] > first_due
    assert len(_audited(platform, "dsr.pause")) == 1
    assert len(_audited(platform, "dsr.resume")) == 1


class _Dpo:
    """What the home page's contributions see of the signed-in DPO."""

    account_id = uuid.uuid4()
    permissions = frozenset({RightsPermission.DSR_READ, RightsPermission.DSR_MANAGE})


@pytest.mark.policy("DP-PROMPT")
def test_the_dpo_sees_paused_clocks_on_the_home_page_and_the_shell(platform, alice):
    """The DPO's work list names the paused request; ``klaremont rights pause/resume`` work."""
    reference = _verified(platform, alice)
    use_platform(platform)
    try:
        runner = CliRunner()
        paused = runner.invoke(
            main.app, ["rights", "pause", reference, "other", "--note", "the order number"]
        )
        assert paused.exit_code == 0, paused.output
        assert "clock paused" in paused.output
        again = runner.invoke(main.app, ["rights", "pause", reference, "clarification"])
        assert isinstance(again.exception, pauses.ClockAlreadyPaused)
        listed = runner.invoke(main.app, ["rights", "due"])
        assert "1 with the clock paused" in listed.output
        with platform.unit_of_work(actor=TEST_ACTOR) as uow:
            work = my_work_items(uow, _Dpo())
        assert any(reference in w.title and "clock paused" in (w.detail or "") for w in work)
        resumed = runner.invoke(main.app, ["rights", "resume", reference])
        assert resumed.exit_code == 0, resumed.output
        assert "clock running again after 0 day(s)" in resumed.output
    finally:
        use_platform(None)


@pytest.mark.policy("DP-PROMPT")
def test_two_people_pausing_at_once_cannot_both_succeed(platform, alice):
    """One reads the request, the other pauses it and commits; the first's pause then reads
    the row again under a lock and is refused: one stop, not two."""
    if platform.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one transaction at a time: the race cannot happen there")
    reference = _verified(platform, alice)
    with platform.unit_of_work(actor=TEST_ACTOR) as late:
        seen = _request(late, reference)
        assert seen.clock_stopped_at is None  # read before the other pause commits
        with platform.unit_of_work(actor=TEST_ACTOR) as first:
            pauses.pause(first, _request(first, reference), PauseReason.CLARIFICATION)
        with pytest.raises(pauses.ClockAlreadyPaused):
            pauses.pause(late, seen, PauseReason.IDENTIFICATION)
    assert _stops(platform) == 1
