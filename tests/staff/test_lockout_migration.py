"""The migration that timed locks gives a lock taken before it an end (IS-PW-LOCK3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import update
from staff_support import make_staff

from klaremont.db import migrate
from klaremont.staff.models import StaffAccount


@pytest.mark.policy("IS-PW-LOCK3")
def test_an_untimed_lock_ends_30_minutes_after_it_began(platform, clock):
    """Downgrade below the revision, lock the old way, upgrade: the lock now has an end."""
    dana = make_staff(platform, "dana")
    config = migrate._config(migrate.DATA, platform.engine)
    command.downgrade(config, "0002")
    locked_at = clock.now() - timedelta(minutes=10)
    with platform.engine.begin() as connection:
        connection.execute(
            update(StaffAccount)
            .where(StaffAccount.id == dana.id)
            .values(locked_at=locked_at, lock_expires_at=None, failed_attempts=3)
        )
    migrate.upgrade(platform.engine, migrate.DATA)
    with platform.unit_of_work() as uow:
        account = uow.session.get(StaffAccount, dana.id)
        assert account.lock_expires_at == locked_at + timedelta(minutes=30)
