"""Backups of a database whose schema has branched (two capabilities, two heads)."""

from __future__ import annotations

import pytest
from migration_support import parcel_revision_body, repository_heads, write_revision

from klaremont.backup import service
from klaremont.db import migrate

BOTH = ("20261206_1300_alpha", "20261206_1300_beta")


def test_a_backup_records_every_head_and_restores_only_where_all_are_known(
    platform, capability_folders, tmp_path
) -> None:
    """The manifest names both heads; a restore succeeds where both revisions are known and
    is refused, naming the missing one, where one of them is not.
    """
    parent = repository_heads()
    alpha = tmp_path / "alpha" / "migrations"
    beta = tmp_path / "beta" / "migrations"
    write_revision(alpha, BOTH[0], parent, parcel_revision_body("test_alpha"))
    write_revision(beta, BOTH[1], parent, parcel_revision_body("test_beta"))
    capability_folders(alpha, beta)
    platform.upgrade()

    path, manifest = service.create(platform)
    assert manifest.schema_revision == " ".join(BOTH)
    service.restore(platform, path, keep_current=False)
    assert migrate.current_revisions(platform.engine) == BOTH

    capability_folders(alpha)
    with pytest.raises(service.BackupInvalid, match=f"schema revision {BOTH[1]} is unknown"):
        service.restore(platform, path, keep_current=False)
