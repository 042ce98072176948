"""Live check of DP-SECURE: personal data stays encrypted at rest under known keys, and
production settings are safe; a value written in the clear past the sealing layer fails."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from klaremont.audit.events import Actor, ActorType
from klaremont.config import Environment
from klaremont.crypto.secure_checks import sealed_columns
from klaremont.policy.live import REGISTRY, LiveStatus, StaticContext, load_all_checks
from klaremont.staff import service_accounts
from klaremont.staff.models import StaffAccount
from klaremont.staff.permissions import Role


def _live(context):
    load_all_checks()
    return REGISTRY.run("DP-SECURE", context)


def _staff(platform) -> None:
    with platform.unit_of_work(actor=Actor(ActorType.SYSTEM, "test")) as uow:
        service_accounts.create_account(
            uow,
            service_accounts.NewAccount(
                username="sealy",
                full_name="Sealy Tester",
                work_email="sealy@klaremont.example",
                job_role=Role.SUPPORT_AGENT,
                line_manager_id=None,
                password="violet-harbour-quietly-9-ferns",
                vetted_on=date(2025, 1, 6),
            ),
            created_by="test",
        )


@pytest.mark.policy("DP-SECURE")
def test_a_value_stored_in_the_clear_fails(platform):
    """Sealed rows hold; a name written in the clear past the sealing layer fails, named."""
    _staff(platform)
    held = _live(platform)
    assert held.status is LiveStatus.HOLDS, held.detail
    assert f"{len(sealed_columns())} sealed columns hold only ciphertext" in held.detail
    assert ("staff_accounts", "full_name") in {(t.name, c) for t, c in sealed_columns()}
    with platform.unit_of_work() as uow:
        uow.session.execute(
            update(StaffAccount.__table__)
            .where(StaffAccount.__table__.c.username == "sealy")
            .values(full_name=b"Sealy Tester in the clear")
        )
    clear = _live(platform)
    assert clear.status is LiveStatus.FAILS
    assert clear.detail == "staff_accounts.full_name: 1 value(s) not sealed"


@pytest.mark.policy("DP-SECURE")
def test_unknown_keys_and_unsafe_production_settings_fail(platform, monkeypatch):
    """A data key under a KEK the ring lacks fails; production with development settings
    fails on the first problem without opening the database."""
    real = platform.keystore.status

    def lacking():
        return {**real(), "unknown_keks": ["kek-gone"]}

    monkeypatch.setattr(platform.keystore, "status", lacking)
    lost = _live(platform)
    assert lost.status is LiveStatus.FAILS
    assert lost.detail.endswith("the key ring lacks: kek-gone")
    production = platform.settings.model_copy(update={"environment": Environment.PRODUCTION})
    static = StaticContext(settings=production, policy=platform.policy, clock=platform.clock)
    unsafe = _live(static)
    assert unsafe.status is LiveStatus.FAILS
    assert unsafe.detail.startswith("KLAREMONT_SECRET_KEY")
    safe_dev = StaticContext(
        settings=platform.settings, policy=platform.policy, clock=platform.clock
    )
    assert _live(safe_dev).status is LiveStatus.UNKNOWN
