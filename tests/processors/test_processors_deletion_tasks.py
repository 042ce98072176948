"""A processor without a connector gets a deletion task through the support-share mechanism
(PP-SUPPORT, PP-R-ERASE): erasing a person named in an exported support share whose deletion
is not yet confirmed makes it due today and mails the partner a fresh single-use link; the
erasure's outcome lists the partner. Nobody else is asked."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from processors_support import DPO
from rights_support import seed_person
from sqlalchemy import select

from klaremont.audit.models import AuditEvent
from klaremont.mail.models import OutboxMessage
from klaremont.processors import support, support_export, support_link
from klaremont.processors.actions import ProcessorAction
from klaremont.rights import erasure, intake
from klaremont.rights.models import RightsRequest
from klaremont.rights.states import RequestKind

PARTNER = "sahyadri-it"
CONTACT = "privacy@sahyadri-it.example"


@pytest.fixture
def partner(register):
    with register.unit_of_work(actor=DPO) as uow:
        support.set_contact(uow, PARTNER, CONTACT)
    return register


def _share(platform, people, *, export=True) -> str:
    with platform.unit_of_work(actor=DPO) as uow:
        reference = support.open_share(
            uow,
            ticket="T-2026-0177",
            processor=PARTNER,
            customers=[p.reference for p in people],
            fields=["order_numbers"],
            pseudonymised=False,
            reason="checkout fails for these orders; partner must reproduce it",
        ).reference
    if export:
        with platform.unit_of_work(actor=DPO) as uow:
            support_export.export(uow, reference, "json")
    return reference


def _erase(platform, person) -> dict:
    with platform.unit_of_work(actor=DPO) as uow:
        made = intake.submit_signed_in(uow, person.identity, RequestKind.ERASURE)
        erasure.erase(uow, made.id)
    with platform.unit_of_work() as uow:
        request = uow.session.get(RightsRequest, made.id)
        return json.loads(request.outcome or "{}")


def _partner_mail(platform) -> list[tuple[str, str]]:
    with platform.unit_of_work() as uow:
        rows = uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at))
        return [(row.template, row.body or "") for row in rows if row.to_address == CONTACT]


def _asked(platform) -> list[AuditEvent]:
    with platform.unit_of_work() as uow:
        return list(
            uow.session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == ProcessorAction.SUPPORT_SHARE_DELETION_ASKED.value
                )
            )
        )


@pytest.mark.policy("PP-SUPPORT", "PP-R-ERASE")
def test_erasing_a_person_in_an_open_share_asks_the_partner_to_delete_now(partner):
    alice, bob = seed_person(partner, "Era"), seed_person(partner, "Erb")
    reference = _share(partner, [alice, bob])
    outcome = _erase(partner, alice)
    assert outcome["external"] == {f"support:{PARTNER}": "deletion asked"}
    [(template, body)] = _partner_mail(partner)  # the deletion task only, no Art. 19 notice
    assert template == support_link.ErasureDeletionRequest.name
    token = body.split("token=", 1)[1].split()[0]
    with partner.unit_of_work(actor=DPO) as uow:
        share = support.find(uow, reference)
        assert share.due_on == uow.clock.now().date()
        assert token not in (share.token_digest or "")
    [event] = _asked(partner)
    assert event.resource == f"support-share:{reference}"
    assert _confirm_works(partner, token) == reference


def _confirm_works(platform, token: str) -> str:
    with platform.unit_of_work(actor=DPO) as uow:
        return support_link.confirm(
            uow, token, method="deleted", name="Asha Rao", confirmed=True
        ).reference


@pytest.mark.policy("PP-SUPPORT", "PP-R-ERASE")
def test_a_resolved_share_gets_a_fresh_link_and_keeps_the_sooner_date(partner, clock):
    alice = seed_person(partner, "Erc")
    reference = _share(partner, [alice])
    with partner.unit_of_work(actor=DPO) as uow:
        _share_row, path = support_link.resolve(uow, reference)
    first = path.split("token=", 1)[1]
    clock.advance(timedelta(hours=1))
    _erase(partner, alice)
    mails = _partner_mail(partner)
    assert [t for t, _b in mails] == [
        support_link.DeletionConfirmationRequest.name,
        support_link.ErasureDeletionRequest.name,
    ]
    with pytest.raises(support_link.LinkRefused):  # only the newest link works
        _confirm_works(partner, first)
    fresh = mails[1][1].split("token=", 1)[1].split()[0]
    with partner.unit_of_work(actor=DPO) as uow:
        assert support.find(uow, reference).due_on == uow.clock.now().date()
    assert _confirm_works(partner, fresh) == reference


@pytest.mark.policy("PP-SUPPORT", "PP-R-ERASE")
def test_a_person_in_no_share_asks_nobody(partner):
    alice, carol = seed_person(partner, "Erd"), seed_person(partner, "Ere")
    reference = _share(partner, [alice])
    outcome = _erase(partner, carol)
    assert "external" not in outcome
    assert _partner_mail(partner) == []
    assert _asked(partner) == []
    with partner.unit_of_work(actor=DPO) as uow:
        assert support.find(uow, reference).due_on is None


@pytest.mark.policy("PP-SUPPORT", "PP-R-ERASE")
def test_a_share_confirmed_deleted_or_never_exported_asks_nobody(partner, clock):
    alice = seed_person(partner, "Erf")
    done = _share(partner, [alice])
    with partner.unit_of_work(actor=DPO) as uow:
        _row, path = support_link.resolve(uow, done)
    _confirm_works(partner, path.split("token=", 1)[1])
    kept = _share(partner, [alice], export=False)
    clock.advance(timedelta(days=1))
    outcome = _erase(partner, alice)
    assert "external" not in outcome
    assert [t for t, _b in _partner_mail(partner)] == [
        support_link.DeletionConfirmationRequest.name
    ]
    assert _asked(partner) == []
    with partner.unit_of_work(actor=DPO) as uow:
        assert support.find(uow, kept).due_on is None
