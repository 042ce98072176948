"""The live checks of DP-GUIDE, DP-AWARE and DP-REVIEW hold on a sound record, fail naming
what is wrong when it is broken, and answer "unknown" without a database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from klaremont import capabilities
from klaremont.policy.live import StaticContext
from klaremont.policydocs import checks, library, service
from klaremont.policydocs.models import PolicyDocumentVersion


def _everyone_acknowledges(platform, staff) -> None:
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        for key in library.DOCUMENT_KEYS:
            for name in staff:
                service.acknowledge(uow, key, name)


@pytest.mark.policy("DP-GUIDE")
def test_guide_fails_until_every_document_is_in_force(platform, staff):
    nothing = checks.every_document_readable(platform)
    assert not nothing.holds
    assert not nothing.unknown
    assert "no version in force" in nothing.detail
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        for key in ("PP", "DP", "IS"):
            service.publish(uow, key, "1", by="Dina")
    missing = checks.every_document_readable(platform)
    assert not missing.holds
    assert missing.detail == "no version in force: Security Personnel"
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        service.publish(uow, "SP", "1", by="Dina")
    found = checks.every_document_readable(platform)
    assert found.holds, found.detail
    assert "readable by every member of staff" in found.detail


@pytest.mark.policy("DP-GUIDE")
def test_guide_fails_when_stored_text_no_longer_matches_its_hash(platform, staff, published):
    del published
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        uow.session.execute(
            update(PolicyDocumentVersion)
            .where(PolicyDocumentVersion.document == "IS")
            .values(content=PolicyDocumentVersion.content + " ")
        )
    found = checks.every_document_readable(platform)
    assert not found.holds
    assert "Information Security Policy 2026.1" in found.detail


@pytest.mark.policy("DP-GUIDE")
def test_guide_fails_when_a_role_cannot_open_the_policies(platform, staff, published, monkeypatch):
    del published
    grants = dict(capabilities.role_grants())
    grants["finance"] = frozenset()
    monkeypatch.setattr(checks.capabilities, "role_grants", lambda: grants)
    found = checks.every_document_readable(platform)
    assert not found.holds
    assert found.detail == "roles that cannot open the policies: finance"


@pytest.mark.policy("DP-AWARE")
def test_aware_holds_while_everyone_is_within_the_period_and_fails_for_the_late(
    platform, staff, published
):
    del published
    within = checks.everyone_acknowledged(platform)
    assert within.holds, within.detail
    assert f"{len(staff) * len(library.DOCUMENT_KEYS)} acknowledgement(s) still within" in (
        within.detail
    )
    platform.clock.advance(timedelta(days=31))
    late = checks.everyone_acknowledged(platform)
    assert not late.holds
    assert late.detail.startswith(f"{len(staff)} member(s) of staff overdue")
    _everyone_acknowledges(platform, staff)
    assert checks.everyone_acknowledged(platform).holds


@pytest.mark.policy("DP-AWARE")
def test_aware_names_the_one_person_overdue(platform, staff, published):
    del published
    _everyone_acknowledges(platform, staff)
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        service.publish(uow, "DP", "2026.2", by="Dina")
        for name in staff:
            if name != "fred":
                service.acknowledge(uow, "DP", name)
    assert checks.everyone_acknowledged(platform).holds
    platform.clock.advance(timedelta(days=31))
    found = checks.everyone_acknowledged(platform)
    assert not found.holds
    assert found.detail.endswith("(more than 30 days): fred")
    assert found.records == (("fred: acknowledgement overdue", "/staff/policies/overdue"),)


@pytest.mark.policy("DP-AWARE")
def test_aware_is_unknown_without_a_staff_directory(platform, staff, published, monkeypatch):
    del staff, published
    monkeypatch.setattr(checks.ports, "directory_plugged", lambda: False)
    found = checks.everyone_acknowledged(platform)
    assert found.unknown
    assert "no staff directory" in found.detail


@pytest.mark.policy("DP-REVIEW")
def test_review_fails_for_a_section_past_its_date(platform, staff, published):
    del published
    assert checks.no_review_overdue(platform).holds
    platform.clock.advance(timedelta(days=366))
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        for section in service.sections(uow):
            if section.number != "SP.3":
                service.record_review(uow, section.number, by="Dina")
    found = checks.no_review_overdue(platform)
    assert not found.holds
    assert found.detail.startswith("1 section(s) overdue for review: SP.3 (due ")
    [(label, url)] = found.records
    assert label.startswith("Section SP.3 ")
    assert url == "/staff/policies/overdue"
    with platform.unit_of_work(actor=staff["iris"]) as uow:
        service.record_review(uow, "SP.3", by="Iris")
    assert checks.no_review_overdue(platform).holds


@pytest.mark.policy("DP-REVIEW")
def test_review_fails_when_nothing_is_published(platform):
    found = checks.no_review_overdue(platform)
    assert not found.holds
    assert "nothing published" in found.detail


@pytest.mark.policy("DP-GUIDE", "DP-AWARE", "DP-REVIEW")
def test_without_a_database_every_check_says_unknown(platform):
    ctx = StaticContext(platform.settings, platform.policy, platform.clock)
    for check in (
        checks.every_document_readable,
        checks.everyone_acknowledged,
        checks.no_review_overdue,
    ):
        found = check(ctx)
        assert found.unknown
        assert not found.holds
        assert "no database" in found.detail
