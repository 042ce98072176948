"""Backups in the inventory (IS-MEDIA-INVENTORY, IS-MEDIA-DISPOSE, IS-MEDIA-WIPE): a new
backup registers itself with its SHA-256; disposing of it destroys its key, deletes the file
and any later restore is refused naming the disposal."""

from __future__ import annotations

import pytest
from media_support import new_item

from klaremont.backup import keys
from klaremont.backup import service as backups
from klaremont.errors import ValidationFailed
from klaremont.media import disposal, service
from klaremont.media.disposal import CarryOut
from klaremont.media.states import ItemState, MediaKind


@pytest.mark.policy("IS-MEDIA-INVENTORY")
def test_backup_create_registers_the_file_with_its_sha256(platform):
    path, manifest = backups.create(platform)
    with platform.unit_of_work() as uow:
        found = service.find(uow, manifest.backup_id)
        assert found.kind is MediaKind.BACKUP
        assert found.sha256 == manifest.sha256 == backups.sha256_of(path)
        assert found.size == path.stat().st_size
        assert (found.holds_personal_data, found.holds_card_data) == (True, False)
        assert found.encryption == "AES-256-GCM, key of its own"
        assert found.location == str(path.parent)
        assert found.custodian == "Technical operations"


@pytest.mark.policy("IS-MEDIA-DISPOSE", "IS-MEDIA-WIPE")
def test_a_disposed_backup_loses_its_key_and_file_and_cannot_be_restored(platform, staff):
    path, manifest = backups.create(platform)
    copy = path.with_name("offsite-copy.kbak")
    copy.write_bytes(path.read_bytes())
    label = manifest.backup_id
    with platform.unit_of_work(actor=staff["tess"]) as uow:
        reference = disposal.request(uow, label, "Older than the backup retention period").reference
    with platform.unit_of_work(actor=staff["iris"]) as uow:
        disposal.approve(uow, label, permissions={"media:approve"})
    with (
        platform.unit_of_work(actor=staff["tess"]) as uow,
        pytest.raises(ValidationFailed, match="crypto-erase"),
    ):
        disposal.carry_out(uow, label, CarryOut("destroy", "shred", "Tess", "Ian", "C-1"))
    assert path.exists()
    with platform.unit_of_work(actor=staff["tess"]) as uow:
        disposal.carry_out(
            uow, label, CarryOut("purge", "crypto_erase", "Tess Ops", "Ian Tester", f"KEY-{label}")
        )
    assert not path.exists()
    assert not keys.key_path(platform.settings, label).exists()
    with platform.unit_of_work() as uow:
        assert service.find(uow, label).state is ItemState.DISPOSED
    for candidate in (path, copy):
        with pytest.raises(keys.BackupDisposed, match=f"disposed of \\(disposal {reference}"):
            backups.restore(platform, candidate)


def test_an_item_not_a_backup_disposes_of_nothing_in_the_backups(platform, staff):
    path, manifest = backups.create(platform)
    with platform.unit_of_work(actor=staff["tess"]) as uow:
        service.register(uow, new_item("USB-1", kind=MediaKind.REMOVABLE_DISK))
        disposal.request(uow, "USB-1", "Worn out and no longer needed")
    with platform.unit_of_work(actor=staff["ian"]) as uow:
        disposal.approve(uow, "USB-1", permissions={"media:approve"})
    with platform.unit_of_work(actor=staff["tess"]) as uow:
        disposal.carry_out(uow, "USB-1", CarryOut("purge", "degauss", "Tess", "Ian", "DG-9"))
    assert path.exists()
    assert keys.has_key(platform.settings, manifest.backup_id)
