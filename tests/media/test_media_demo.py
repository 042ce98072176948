"""The demo shows the inventory: four items, one disposed of with its certificate, a
stocktake done, and every media check holds on it."""

from __future__ import annotations

import pytest

from klaremont.demo import service as demo
from klaremont.media import checks, register, service
from klaremont.media.states import ItemState

SMALL = demo.DemoSize(customers=6, seed=5)


@pytest.mark.policy("IS-MEDIA-INVENTORY", "IS-MEDIA-PROTECT", "IS-MEDIA-DISPOSE", "IS-MEDIA-WIPE")
def test_the_demo_inventory_passes_every_media_check(platform):
    demo.seed(platform, SMALL)
    with platform.unit_of_work() as uow:
        states = {i.label: i.state for i in service.items(uow)}
        disposals = register.disposal_rows(uow)
    assert states["USB-ENC-0007"] is ItemState.DISPOSED
    assert states["LAPTOP-0142"] is ItemState.OUT
    assert disposals[0][13] == "SSL-2026-118734"
    for check in (
        checks.every_backup_is_inventoried,
        checks.every_item_is_placed_and_counted,
        checks.every_disposal_was_approved_by_another,
        checks.every_disposal_has_a_method_and_a_witness,
    ):
        result = check(platform)
        assert result.holds, result.detail
