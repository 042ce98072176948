"""Telling recipients (UK GDPR Art. 19): when a disclosed person's data is rectified,
restricted or erased, each recipient that received it gets one outbox mail saying what
changed (never the values); a recipient without a mailbox is recorded as not told; the
person's access copy shows who was told."""

from __future__ import annotations

import pytest
from disclosures_support import police_request
from rights_support import TEST_ACTOR
from sqlalchemy import func, select

from klaremont.audit.events import Actor, ActorType
from klaremont.audit.models import AuditEvent
from klaremont.disclosures import export, service
from klaremont.disclosures.models import RecipientNotice
from klaremont.mail.models import OutboxMessage
from klaremont.processors import demo_data as processors_demo
from klaremont.processors import service as processors_service
from klaremont.processors import support, support_export, support_link
from klaremont.rights import changes, erasure, fulfil, intake
from klaremont.rights.access import collect
from klaremont.rights.states import RequestKind
from klaremont.testing.staff import staff_client

TEMPLATE = "recipient_update"
DPO = Actor(ActorType.STAFF, "dpo-test", "dpo-test")


def _disclose(platform, cast, person, name: str, contact: str | None) -> str:
    with platform.unit_of_work(actor=cast.dpo) as uow:
        asked = police_request([person.reference], contact=contact, name=name)
        reference = service.request(uow, asked).reference
    with platform.unit_of_work(actor=cast.director) as uow:
        service.approve(uow, reference)
    with platform.unit_of_work(actor=cast.dpo) as uow:
        export.build(uow, reference)
    return reference


def _mails(platform, subject_id) -> list[OutboxMessage]:
    with platform.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.subject_id == subject_id, OutboxMessage.template == TEMPLATE
            )
        ).all()
        for row in rows:
            _ = (row.to_address, row.body)  # opened while the unit is open
        return list(rows)


def _rectify_email(platform, person, value: str) -> None:
    fixes = [
        {"record": "customers", "id": str(person.customer_id), "field": "email", "value": value}
    ]
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(
            uow, person.identity, RequestKind.RECTIFICATION, details={"corrections": fixes}
        )
        fulfil.fulfil(uow, made.id)


@pytest.mark.policy("PP-R-RECTIFY", "PP-NOSHARE")
def test_rectifying_a_disclosed_person_mails_each_recipient_once(platform, cast, alice, bob):
    """Two recipients with mailboxes get one mail each; one without is recorded, not mailed;
    nobody is told about Bob, who was not disclosed; the new value is in no mail."""
    first = _disclose(platform, cast, alice, "Test Constabulary", "one@police.example")
    second = _disclose(platform, cast, alice, "Second Constabulary", "two@police.example")
    _disclose(platform, cast, alice, "Silent Constabulary", None)
    _rectify_email(platform, alice, "alice.corrected@example.com")
    _rectify_email(platform, bob, "bob.corrected@example.com")
    mails = _mails(platform, alice.subject_id)
    assert sorted(m.to_address for m in mails) == ["one@police.example", "two@police.example"]
    for mail in mails:
        assert mail.body is not None
        assert "alice.corrected@example.com" not in mail.body
        assert alice.email not in mail.body
        assert alice.reference in mail.body
        assert "rectified" in mail.body
        assert "(email)" in mail.body
    assert {first, second} == {
        ref for ref in (first, second) if any(ref in (m.body or "") for m in mails)
    }
    assert _mails(platform, bob.subject_id) == []
    with platform.unit_of_work() as uow:
        notices = uow.session.scalars(select(RecipientNotice)).all()
        assert sorted(n.queued for n in notices) == [False, True, True]
        told = uow.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "disclosure.recipient_told")
        )
        assert told == 3
        recipients = collect(uow, alice.subject_id).information["recipients"]
    shown = {r["who"]: r["told_of_changes"] for r in recipients if "told_of_changes" in r}
    assert shown["Test Constabulary"][0]["change"] == "rectified"
    assert shown["Test Constabulary"][0]["how"] == "by e-mail"
    assert shown["Silent Constabulary"][0]["how"].startswith("not told")


@pytest.mark.policy("PP-R-RESTRICT", "PP-NOSHARE")
def test_restricting_a_disclosed_person_tells_the_recipient(platform, cast, alice):
    """A restriction is announced by rights and reaches the recipient as one mail."""
    _disclose(platform, cast, alice, "Test Constabulary", "one@police.example")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert changes.restrict(uow, alice.subject_id, "accuracy contested")
    mails = _mails(platform, alice.subject_id)
    assert len(mails) == 1
    assert "restricted" in (mails[0].body or "")


@pytest.mark.policy("PP-R-RECTIFY")
def test_a_person_never_disclosed_causes_no_mail(platform, cast, alice, bob):
    """Only exported disclosures count: a request still waiting tells nobody."""
    with platform.unit_of_work(actor=cast.dpo) as uow:
        service.request(uow, police_request([alice.reference]))
    _rectify_email(platform, alice, "alice.corrected@example.com")
    assert _mails(platform, alice.subject_id) == []


@pytest.mark.policy("PP-R-ERASE")
def test_erasing_a_disclosed_person_tells_the_recipient_and_the_mail_survives(
    platform, cast, alice
):
    """The erasure announces itself after its sweep: the recipient's mail stays queued."""
    _disclose(platform, cast, alice, "Test Constabulary", "one@police.example")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, alice.identity, RequestKind.ERASURE)
        erasure.erase(uow, made.id)
    mails = _mails(platform, alice.subject_id)
    assert len(mails) == 1
    assert "erased" in (mails[0].body or "")
    assert mails[0].to_address == "one@police.example"


@pytest.mark.policy("PP-R-RESTRICT")
def test_the_disclosure_page_lists_who_was_told(platform, cast, alice):
    """The console shows each notice on the disclosure's page, without the values."""
    reference = _disclose(platform, cast, alice, "Test Constabulary", "one@police.example")
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        changes.restrict(uow, alice.subject_id, "accuracy contested")
    page = staff_client(platform, "dpo").get(
        f"/staff/disclosures/d/{reference}", headers={"accept": "text/html"}
    )
    assert 'id="told"' in page.text
    assert "queued by e-mail" in page.text
    assert alice.reference in page.text


@pytest.mark.policy("PP-R-RECTIFY")
def test_a_processor_holding_the_persons_data_is_told_too(platform, cast, alice, bob):
    """A support share exported to a partner and not confirmed deleted: the partner's
    contact gets one mail when Alice's data is corrected; nothing for Bob's share once
    the partner confirmed its deletion."""
    with platform.unit_of_work(actor=DPO) as uow:
        today = uow.clock.now().date()
        for new in processors_demo._processors(today):
            processors_service.add(uow, new)
        support.set_contact(uow, "sahyadri-it", "privacy@sahyadri-it.example")
    shares = {}
    for person in (alice, bob):
        with platform.unit_of_work(actor=DPO) as uow:
            shares[person.reference] = support.open_share(
                uow,
                ticket="T-2026-0142",
                processor="sahyadri-it",
                customers=[person.reference],
                fields=["order_numbers"],
                pseudonymised=False,
                reason="checkout fails for this order; partner must reproduce it",
            ).reference
        with platform.unit_of_work(actor=DPO) as uow:
            support_export.export(uow, shares[person.reference], "json")
    with platform.unit_of_work(actor=DPO) as uow:
        _share, path = support_link.resolve(uow, shares[bob.reference])
    with platform.unit_of_work(actor=DPO) as uow:
        support_link.confirm(
            uow, path.split("token=", 1)[1], method="deleted", name="Asha Rao", confirmed=True
        )
    _rectify_email(platform, alice, "alice.corrected@example.com")
    _rectify_email(platform, bob, "bob.corrected@example.com")
    [mail] = _mails(platform, alice.subject_id)
    assert mail.to_address == "privacy@sahyadri-it.example"
    assert shares[alice.reference] in (mail.body or "")
    assert "alice.corrected@example.com" not in (mail.body or "")
    assert _mails(platform, bob.subject_id) == []
    with platform.unit_of_work() as uow:
        recipients = collect(uow, alice.subject_id).information["recipients"]
    told = [r for r in recipients if r.get("told_of_changes")]
    assert [r["who"] for r in told] == ["Sahyadri IT Services Pvt Ltd"]
