"""Disposal (IS-MEDIA-DISPOSE, IS-MEDIA-WIPE): approved by the ISO who did not ask for it,
carried out with a recorded method, a performer, a witness and a certificate; each
refusal names its rule and is audited; the steps are append-only."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from klaremont.audit.models import AuditEvent
from klaremont.errors import Conflict, PermissionDenied, ValidationFailed
from klaremont.media import disposal, service
from klaremont.media.disposal import CarryOut
from klaremont.media.models import MediaDisposalStep
from klaremont.media.states import ItemState

GOOD = CarryOut("destroy", "shred", "Shredco Ltd operator", "Tess Ops", "SHRED-CERT-0042")


def _refusals(platform) -> list[dict]:
    with platform.unit_of_work() as uow:
        return [
            e.details_dict()
            for e in uow.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "media.disposal_refused")
            )
        ]


def _state(platform, label):
    with platform.unit_of_work() as uow:
        return service.find(uow, label).state


def _request(platform, staff, label, who="tess"):
    with platform.unit_of_work(actor=staff[who]) as uow:
        return disposal.request(uow, label, "End of life: replaced by a new laptop").reference


@pytest.mark.policy("IS-MEDIA-DISPOSE")
def test_disposal_without_iso_approval_is_refused(platform, staff, item):
    _request(platform, staff, item)
    with (
        platform.unit_of_work(actor=staff["tess"]) as uow,
        pytest.raises(Conflict, match="needs the Information Security Officer's approval"),
    ):
        disposal.carry_out(uow, item, GOOD)
    assert _state(platform, item) is ItemState.DISPOSAL_REQUESTED
    assert _refusals(platform)[-1]["stage"] == "carry_out"
    # someone without media:approve cannot approve either
    with (
        platform.unit_of_work(actor=staff["tess"]) as uow,
        pytest.raises(PermissionDenied, match="approved by the Information Security Officer"),
    ):
        disposal.approve(uow, item, permissions={"media:read", "media:manage"})
    assert _state(platform, item) is ItemState.DISPOSAL_REQUESTED


@pytest.mark.policy("IS-MEDIA-DISPOSE")
def test_the_requester_cannot_approve_their_own_disposal(platform, staff, item):
    reference = _request(platform, staff, item, who="iris")
    with (
        platform.unit_of_work(actor=staff["iris"]) as uow,
        pytest.raises(PermissionDenied, match=f"requested disposal {reference} cannot approve"),
    ):
        disposal.approve(uow, item, permissions={"media:approve"})
    assert _state(platform, item) is ItemState.DISPOSAL_REQUESTED
    assert _refusals(platform)[-1] == {
        "label": item,
        "stage": "approve",
        "rule": (
            f"the person who requested disposal {reference} cannot approve it: "
            "another Information Security Officer must"
        ),
    }
    with platform.unit_of_work(actor=staff["ian"]) as uow:
        disposal.approve(uow, item, permissions={"media:approve"})
    assert _state(platform, item) is ItemState.DISPOSAL_APPROVED


@pytest.mark.policy("IS-MEDIA-WIPE")
@pytest.mark.parametrize(
    ("how", "field"),
    [
        (CarryOut(None, None, "A", "B", "C"), "category"),
        (CarryOut("destroy", "", "A", "B", "C"), "technique"),
        (CarryOut("clear", "shred", "A", "B", "C"), "technique"),
        (CarryOut("destroy", "shred", "A", "a", "C"), "witness"),
        (CarryOut("destroy", "shred", "A", "B", " "), "certificate"),
        (CarryOut("destroy", "shred", "", "B", "C"), "performed_by"),
    ],
)
def test_disposal_without_a_method_witness_or_certificate_is_refused(
    platform, staff, item, how, field
):
    _request(platform, staff, item)
    with platform.unit_of_work(actor=staff["ian"]) as uow:
        disposal.approve(uow, item, permissions={"media:approve"})
    with (
        platform.unit_of_work(actor=staff["tess"]) as uow,
        pytest.raises(ValidationFailed) as caught,
    ):
        disposal.carry_out(uow, item, how)
    assert field in [p.field for p in caught.value.problems]
    assert _state(platform, item) is ItemState.DISPOSAL_APPROVED


@pytest.mark.policy("IS-MEDIA-DISPOSE", "IS-MEDIA-WIPE")
def test_an_approved_disposal_is_recorded_step_by_step_and_append_only(platform, staff, item):
    reference = _request(platform, staff, item)
    with platform.unit_of_work(actor=staff["iris"]) as uow:
        disposal.approve(uow, item, permissions={"media:approve"})
    with platform.unit_of_work(actor=staff["tess"]) as uow:
        disposal.carry_out(uow, item, GOOD)
    assert _state(platform, item) is ItemState.DISPOSED
    with platform.unit_of_work() as uow:
        rows = disposal.steps(uow, service.find(uow, item))
        assert [(r.reference, r.step.value, r.actor_name) for r in rows] == [
            (reference, "requested", "tess"),
            (reference, "approved", "iris"),
            (reference, "carried_out", "tess"),
        ]
        done = rows[-1]
        assert (done.technique.value, done.witness, done.certificate) == (
            "shred",
            "Tess Ops",
            "SHRED-CERT-0042",
        )
    with pytest.raises(DBAPIError, match=r"append-only"), platform.engine.begin() as conn:
        conn.execute(text("UPDATE media_disposal_steps SET witness = 'nobody'"))
    with platform.unit_of_work() as uow:
        witnessed = select(MediaDisposalStep.witness).where(MediaDisposalStep.witness.is_not(None))
        assert list(uow.session.scalars(witnessed)) == ["Tess Ops"]
    with platform.unit_of_work(actor=staff["tess"]) as uow, pytest.raises(Conflict):
        disposal.request(uow, item, "Dispose of it once more please")
