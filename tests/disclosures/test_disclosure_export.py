"""Disclosures: a recorded basis and another director's approval before the one-time export
(PP-NOSHARE, IS-USE-DISCLOSE), the transfer guard (DP-TRANSFER), and the recipient in the
person's access copy."""

from __future__ import annotations

import dataclasses
import json

import pytest
from disclosures_support import police_request
from sqlalchemy import func, select

from klaremont.audit.models import AuditEvent
from klaremont.disclosures import checks, export, service
from klaremont.disclosures.models import Disclosure, DisclosureState
from klaremont.errors import ValidationFailed
from klaremont.rights.access import collect
from klaremont.transfers import TransferRefused


def _count(platform, action: str) -> int:
    with platform.unit_of_work() as uow:
        return int(
            uow.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
            )
            or 0
        )


def _request(platform, cast, alice, **kw) -> str:
    with platform.unit_of_work(actor=cast.dpo) as uow:
        return service.request(uow, police_request([alice.reference], **kw)).reference


def _state(platform, reference: str) -> DisclosureState:
    with platform.unit_of_work() as uow:
        return service.find(uow, reference).state


@pytest.mark.policy("PP-NOSHARE", "IS-USE-DISCLOSE")
def test_a_disclosure_without_director_approval_cannot_be_exported(platform, cast, alice):
    """Requested but not approved: the export is refused, audited, and nothing is built."""
    reference = _request(platform, cast, alice)
    with (
        pytest.raises(export.ExportRefused) as refused,
        platform.unit_of_work(actor=cast.dpo) as uow,
    ):
        export.build(uow, reference)
    assert refused.value.problems[0].field == "approval"
    assert "director has not approved" in refused.value.detail
    assert _state(platform, reference) is DisclosureState.REQUESTED
    assert _count(platform, "disclosure.export_denied") == 1
    assert _count(platform, "disclosure.exported") == 0


@pytest.mark.policy("IS-USE-DISCLOSE")
def test_the_requester_may_not_approve_and_only_a_director_may(platform, cast, alice):
    """A director's own request needs another director; a DPO cannot approve at all."""
    with platform.unit_of_work(actor=cast.director) as uow:
        reference = service.request(uow, police_request([alice.reference])).reference
    with (
        pytest.raises(service.DecisionRefused) as own,
        platform.unit_of_work(actor=cast.director) as uow,
    ):
        service.approve(uow, reference)
    assert "they requested" in own.value.detail
    with (
        pytest.raises(service.DecisionRefused) as dpo,
        platform.unit_of_work(actor=cast.dpo) as uow,
    ):
        service.approve(uow, reference)
    assert "only a company director" in dpo.value.detail
    assert _state(platform, reference) is DisclosureState.REQUESTED
    assert _count(platform, "disclosure.decision_denied") == 2
    with pytest.raises(export.ExportRefused), platform.unit_of_work(actor=cast.dpo) as uow:
        export.build(uow, reference)
    with platform.unit_of_work(actor=cast.other_director) as uow:
        service.approve(uow, reference, "checked")
    with platform.unit_of_work(actor=cast.dpo) as uow:
        assert export.build(uow, reference).people == 1


@pytest.mark.policy("PP-NOSHARE")
@pytest.mark.parametrize(
    "case",
    [
        ("court_order", "", "basis_reference"),
        ("statutory_obligation", "   ", "basis_reference"),
        ("a_good_reason", "anything", "basis_kind"),
    ],
)
def test_a_request_without_a_basis_is_refused(platform, cast, alice, case):
    """No basis kind, or no reference for it: refused naming the field, nothing stored."""
    basis, reference, field = case
    asked = police_request([alice.reference], basis_reference=reference)
    asked = dataclasses.replace(asked, basis_kind=basis)
    with pytest.raises(ValidationFailed) as refused, platform.unit_of_work(actor=cast.dpo) as uow:
        service.request(uow, asked)
    assert refused.value.problems[0].field == field
    with platform.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Disclosure)) == 0


@pytest.mark.policy("PP-NOSHARE")
def test_an_export_without_a_recorded_basis_is_refused(platform, cast, alice):
    """Defence in depth: a row whose basis went missing is never exported."""
    reference = _request(platform, cast, alice)
    with platform.unit_of_work(actor=cast.other_director) as uow:
        service.approve(uow, reference)
    with platform.unit_of_work() as uow:
        service.find(uow, reference).basis_reference = ""
    with (
        pytest.raises(export.ExportRefused) as refused,
        platform.unit_of_work(actor=cast.dpo) as uow,
    ):
        export.build(uow, reference)
    assert refused.value.problems[0].field == "basis_reference"


@pytest.mark.policy("PP-NOSHARE", "DP-TRANSFER")
def test_a_recipient_in_a_country_without_adequacy_or_safeguard_is_refused(platform, cast, alice):
    """India has no UK adequacy and nothing is recorded for this recipient: refused."""
    reference = _request(platform, cast, alice, country="IN", name="Mumbai Trading Co")
    with platform.unit_of_work(actor=cast.other_director) as uow:
        service.approve(uow, reference)
    with pytest.raises(TransferRefused) as refused, platform.unit_of_work(actor=cast.dpo) as uow:
        export.build(uow, reference)
    assert refused.value.problems[0].field == "recipient_country"
    assert "IN" in refused.value.detail
    assert _state(platform, reference) is DisclosureState.APPROVED
    assert _count(platform, "transfer.refused") == 1
    assert _count(platform, "disclosure.exported") == 0


@pytest.mark.policy("PP-NOSHARE", "IS-USE-DISCLOSE")
def test_an_approved_disclosure_exports_once_and_the_person_sees_the_recipient(
    platform, cast, alice, bob
):
    """Approved by another director: exported once (only the approved categories, only
    the people named), audited; a second export is refused; the access copy lists it."""
    reference = _request(platform, cast, alice)
    with platform.unit_of_work(actor=cast.director) as uow:
        service.approve(uow, reference, "form checked")
    with platform.unit_of_work(actor=cast.dpo) as uow:
        made = export.build(uow, reference)
    document = json.loads(made.body)
    assert document["reference"] == reference
    assert [p["account_reference"] for p in document["people"]] == [alice.reference]
    text = made.body.decode()
    assert alice.email in text  # contact details were approved
    assert alice.canaries["customers.name"] not in text  # identity was not
    assert alice.canaries["addresses.line1.postal"] not in text  # nor the address
    assert bob.email not in text
    assert "orders" in document["people"][0]["data"]
    assert _state(platform, reference) is DisclosureState.EXPORTED
    assert _count(platform, "disclosure.exported") == 2  # the disclosure, and the person
    with pytest.raises(export.ExportRefused) as again, platform.unit_of_work(actor=cast.dpo) as uow:
        export.build(uow, reference)
    assert "handed over once" in again.value.detail
    with platform.unit_of_work() as uow:
        theirs = collect(uow, alice.subject_id).information["recipients"]
        others = collect(uow, bob.subject_id).information["recipients"]
    given = [r for r in theirs if r["who"] == "Test Constabulary"]
    assert len(given) == 1
    assert reference in given[0]["why"]
    assert given[0]["your_data_categories"] == ["contact", "orders"]
    assert not [r for r in others if r["who"] == "Test Constabulary"]


@pytest.mark.policy("PP-NOSHARE", "IS-USE-DISCLOSE")
def test_the_live_checks_hold_and_fail_on_a_self_approved_export(platform, cast, alice):
    """Both checks hold after a proper export and fail when the approval is the requester's."""
    reference = _request(platform, cast, alice)
    with platform.unit_of_work(actor=cast.director) as uow:
        service.approve(uow, reference)
    with platform.unit_of_work(actor=cast.dpo) as uow:
        export.build(uow, reference)
    assert checks.every_export_had_a_basis_and_an_approval(platform).holds
    assert checks.no_export_without_another_directors_approval(platform).holds
    with platform.unit_of_work() as uow:
        row = service.find(uow, reference)
        row.decided_by = row.requested_by
        row.basis_reference = ""
    assert not checks.no_export_without_another_directors_approval(platform).holds
    assert not checks.every_export_had_a_basis_and_an_approval(platform).holds
