"""Stocktakes and movements (IS-MEDIA-PROTECT, IS-MEDIA-INVENTORY): an item not seen raises
exactly one loss incident naming it; a movement needs an ISO's approval, not the mover's."""

from __future__ import annotations

import pytest
from media_support import new_item
from sqlalchemy import select

from klaremont.errors import ValidationFailed
from klaremont.incidents.models import Incident
from klaremont.media import service, stocktake
from klaremont.media.states import ItemState, MediaKind


@pytest.mark.policy("IS-MEDIA-PROTECT")
def test_a_stocktake_with_an_unseen_item_raises_exactly_one_loss_incident(platform, staff, item):
    with platform.unit_of_work(actor=staff["tess"]) as uow:
        service.register(
            uow,
            new_item(
                "ARCHIVE-BOX-3", kind=MediaKind.PAPER_ARCHIVE, holds_card_data=True, encryption=None
            ),
        )
    with platform.unit_of_work(actor=staff["tess"]) as uow:
        count = stocktake.start(uow)
        assert count.expected == 2
    with platform.unit_of_work(actor=staff["tess"]) as uow:
        stocktake.seen(uow, item)
        stocktake.seen(uow, item)  # twice is harmless
    with platform.unit_of_work(actor=staff["tess"]) as uow:
        done, missing = stocktake.finish(uow)
        assert [m.label for m in missing] == ["ARCHIVE-BOX-3"]
        assert (done.seen, done.missing) == (1, 1)
    with platform.unit_of_work() as uow:
        incidents = list(uow.session.scalars(select(Incident)))
        assert len(incidents) == 1
        raised = incidents[0]
        assert raised.kind.value == "loss_or_theft"
        assert "ARCHIVE-BOX-3" in raised.summary
        assert "personal data and card data" in raised.summary
        assert raised.card_data.value == "yes"
        assert raised.reporter_name == "Klaremont platform"
        assert service.find(uow, "ARCHIVE-BOX-3").state is ItemState.MISSING
        assert service.find(uow, item).state is ItemState.IN_STORE
    # a second count does not count the missing item again, nor raise another incident
    with platform.unit_of_work(actor=staff["tess"]) as uow:
        stocktake.start(uow)
        stocktake.seen(uow, item)
        stocktake.finish(uow)
    with platform.unit_of_work() as uow:
        assert len(list(uow.session.scalars(select(Incident)))) == 1


@pytest.mark.policy("IS-MEDIA-INVENTORY")
def test_a_movement_needs_an_iso_who_is_not_the_mover(platform, staff, item):
    with (
        platform.unit_of_work(actor=staff["tess"]) as uow,
        pytest.raises(ValidationFailed) as caught,
    ):
        service.move(uow, item, to_location="Bristol office", handed_to="Sal", approved_by="tess")
    assert caught.value.problems[0].field == "approved_by"
    with (
        platform.unit_of_work(actor=staff["iris"]) as uow,
        pytest.raises(ValidationFailed, match="someone other than the person recording"),
    ):
        service.move(uow, item, to_location="Bristol office", handed_to="Sal", approved_by="IRIS")
    with platform.unit_of_work(actor=staff["tess"]) as uow:
        service.move(uow, item, to_location="Bristol office", handed_to="Sal", approved_by="iris")
    with platform.unit_of_work() as uow:
        found = service.find(uow, item)
        assert (found.state, found.location, found.held_by) == (
            ItemState.OUT,
            "Bristol office",
            "Sal",
        )
        [moved] = service.movements(uow, found)
        assert (moved.from_location, moved.approved_by, moved.recorded_by) == (
            "Head office safe",
            "iris",
            "tess",
        )
    with platform.unit_of_work(actor=staff["tess"]) as uow:
        service.move(
            uow,
            item,
            to_location="Head office safe",
            handed_to="Tess Ops",
            approved_by="ian",
            returned=True,
        )
    with platform.unit_of_work() as uow:
        assert service.find(uow, item).state is ItemState.IN_STORE


@pytest.mark.policy("IS-MEDIA-INVENTORY")
def test_registering_checks_each_field(platform, staff, item):
    cases = [
        (new_item(item), "label"),
        (new_item("X1", location=" "), "location"),
        (new_item("X2", custodian=""), "custodian"),
        (new_item("X3", holds_personal_data=False), "holds_personal_data"),
    ]
    for bad, field in cases:
        with platform.unit_of_work(actor=staff["tess"]) as uow, pytest.raises(Exception) as caught:
            service.register(uow, bad)
        assert field in str(caught.value)
