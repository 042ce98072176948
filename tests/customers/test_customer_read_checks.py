"""Live checks of reads of personal data (DP-PURPOSE, PP-COMBINE): they hold for reads made
through the purpose check and fail, naming the audit event, for a read that bypassed it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from store_support import make_staff, new_customer, set_state, subject_of

from klaremont.customers.access import Access
from klaremont.customers.actions import CustomerAction
from klaremont.customers.view import customer_view
from klaremont.policy.live import REGISTRY, LiveStatus, StaticContext, load_all_checks
from klaremont.policy.purposes import Purpose
from klaremont.staff.permissions import Role


def _live(platform, clause: str):
    load_all_checks()
    return REGISTRY.run(clause, platform)


def _view(platform, staff, customer_id, purpose: Purpose, role: Role) -> None:
    with platform.unit_of_work(actor=staff.actor) as uow:
        customer_view(uow, customer_id, Access.of(purpose, {role}))


def _bypass(platform, staff, subject_id, purpose: str | None, categories: list[str]) -> int:
    """A read recorded without the purpose check (what a back door would leave)."""
    with platform.unit_of_work(actor=staff.actor) as uow:
        event = uow.audit(
            CustomerAction.PERSONAL_DATA_READ,
            resource=f"subject:{subject_id}",
            purpose=purpose,
            details={"categories": categories, "view": True},
        )
        return int(event.seq)


@pytest.mark.policy("DP-PURPOSE")
def test_every_read_of_the_last_day_names_an_allowed_purpose(platform, clock):
    """A support agent's view for support holds; a read with no purpose, a category beyond
    the purpose, or a purpose outside the reader's roles fails; a day later it has aged out."""
    customer_id = new_customer(platform)
    subject_id = subject_of(platform, customer_id)
    sam = make_staff(platform, "sam", Role.SUPPORT_AGENT)
    _view(platform, sam, customer_id, Purpose.SUPPORT, Role.SUPPORT_AGENT)
    held = _live(platform, "DP-PURPOSE")
    assert held.status is LiveStatus.HOLDS, held.detail
    assert held.detail.startswith("1 read(s) of personal data in the last day")
    seq = _bypass(platform, sam, subject_id, "marketing", ["contact"])
    wrong = _live(platform, "DP-PURPOSE")
    assert wrong.status is LiveStatus.FAILS
    assert wrong.detail == (
        f"personal data used outside its purpose: event #{seq}: marketing is not a purpose "
        "of the reader's roles"
    )
    clock.advance(timedelta(days=1, minutes=1))
    assert _live(platform, "DP-PURPOSE").status is LiveStatus.HOLDS
    none = _bypass(platform, sam, subject_id, None, ["identity"])
    assert f"event #{none}: no registered purpose (none)" in _live(platform, "DP-PURPOSE").detail


@pytest.mark.policy("DP-PURPOSE")
def test_a_category_beyond_the_purpose_fails(platform):
    """Card data read for marketing is outside the register, whoever reads it."""
    customer_id = new_customer(platform)
    maya = make_staff(platform, "maya", Role.MARKETING)
    seq = _bypass(platform, maya, subject_of(platform, customer_id), "marketing", ["payment_card"])
    failed = _live(platform, "DP-PURPOSE")
    assert failed.status is LiveStatus.FAILS
    assert f"event #{seq}: payment_card read for marketing" in failed.detail


@pytest.mark.policy("PP-COMBINE")
def test_a_combined_view_of_a_restricted_person_fails(platform, clock):
    """Views through the purpose check hold (a restricted person's is refused there); a view
    read after the restriction outside a legal obligation fails, naming the event."""
    customer_id = new_customer(platform)
    subject_id = subject_of(platform, customer_id)
    sam = make_staff(platform, "sam", Role.SUPPORT_AGENT)
    _view(platform, sam, customer_id, Purpose.SUPPORT, Role.SUPPORT_AGENT)
    held = _live(platform, "PP-COMBINE")
    assert held.status is LiveStatus.HOLDS, held.detail
    assert held.detail.startswith("1 single customer view(s) read")
    set_state(platform, subject_id, restricted_at=clock.now() - timedelta(hours=1))
    broken = _live(platform, "PP-COMBINE")
    assert broken.status is LiveStatus.FAILS
    assert "a restricted person's view read for support" in broken.detail
    set_state(platform, subject_id, restricted_at=None, marketing_objection_at=clock.now())
    clock.advance(timedelta(minutes=5))
    maya = make_staff(platform, "maya", Role.MARKETING)
    seq = _bypass(platform, maya, subject_id, "marketing", ["contact"])
    objected = _live(platform, "PP-COMBINE")
    assert objected.detail == (
        f"combined views against a choice: event #{seq}: an objector's view read for marketing"
    )


@pytest.mark.policy("DP-PURPOSE", "PP-COMBINE")
def test_read_checks_without_a_database_say_unknown(platform):
    """No audit log to read: unknown, never holds."""
    static = StaticContext(settings=platform.settings, policy=platform.policy, clock=platform.clock)
    assert _live(static, "DP-PURPOSE").status is LiveStatus.UNKNOWN
    assert _live(static, "PP-COMBINE").status is LiveStatus.UNKNOWN
