"""The media clauses' live checks hold on a clean record and fail, naming what is wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from klaremont.backup import service as backups
from klaremont.media import checks, disposal, stocktake
from klaremont.media.ddl import drop_append_only_ddl
from klaremont.media.disposal import CarryOut


@pytest.mark.policy("IS-MEDIA-INVENTORY")
def test_a_backup_file_not_in_the_inventory_fails_the_check(platform):
    assert checks.every_backup_is_inventoried(platform).holds
    path, _ = backups.create(platform)
    assert checks.every_backup_is_inventoried(platform).holds
    stray = path.with_name("hand-made-copy.kbak")
    stray.write_bytes(b"x")
    found = checks.every_backup_is_inventoried(platform)
    assert not found.holds
    assert "hand-made-copy" in found.detail


@pytest.mark.policy("IS-MEDIA-PROTECT")
def test_the_stocktake_must_be_recent(platform, staff, item):
    found = checks.every_item_is_placed_and_counted(platform)
    assert not found.holds
    assert "no stocktake" in found.detail
    with platform.unit_of_work(actor=staff["tess"]) as uow:
        stocktake.start(uow)
        stocktake.seen(uow, item)
        stocktake.finish(uow)
    assert checks.every_item_is_placed_and_counted(platform).holds
    platform.clock.advance(timedelta(days=400))
    assert "more than twelve months" in checks.every_item_is_placed_and_counted(platform).detail


@pytest.mark.policy("IS-MEDIA-DISPOSE", "IS-MEDIA-WIPE")
def test_disposal_checks_find_a_disposal_approved_by_its_requester(platform, staff, item):
    with platform.unit_of_work(actor=staff["tess"]) as uow:
        disposal.request(uow, item, "Retired laptop, disk to be shredded")
    with platform.unit_of_work(actor=staff["iris"]) as uow:
        disposal.approve(uow, item, permissions={"media:approve"})
    with platform.unit_of_work(actor=staff["tess"]) as uow:
        disposal.carry_out(uow, item, CarryOut("destroy", "shred", "Shredco", "Tess", "SC-1"))
    assert checks.every_disposal_was_approved_by_another(platform).holds
    assert checks.every_disposal_has_a_method_and_a_witness(platform).holds
    # someone with database access rewrites history (dropping the triggers first)
    with platform.engine.begin() as conn:
        for statement in drop_append_only_ddl(platform.engine.dialect.name):
            conn.exec_driver_sql(statement)
        conn.execute(text("UPDATE media_disposal_steps SET actor_id = 'tess', witness = NULL"))
    assert not checks.every_disposal_was_approved_by_another(platform).holds
    assert not checks.every_disposal_has_a_method_and_a_witness(platform).holds
