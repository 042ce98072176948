"""The live checks read the latest scan of Klaremont's own data: they fail without a recent
one, and when it found track data, card codes or card numbers not accepted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scanweb_support import CARD, plant

from klaremont.policy.live import REGISTRY, StaticContext
from klaremont.scan import checks, engine, jobs, service
from klaremont.scan.selfscan import SELF_KINDS, SELF_LABEL


def _record_own(platform, folder) -> str:
    result = engine.run(engine.ScanRequest((str(folder),), SELF_KINDS, label=SELF_LABEL))
    with platform.unit_of_work() as uow:
        return service.record(uow, result, raise_incident=False)


@pytest.mark.policy("IS-SENS-TRACK", "IS-SENS-CVV")
def test_without_a_recent_self_scan_the_checks_fail(platform):
    for check in (checks.no_track_data_at_rest, checks.no_card_code_at_rest):
        found = check(platform)
        assert not found.holds
        assert "no scan of the platform's own data" in found.detail
    assert checks.card_numbers_only_in_the_vault(platform).holds
    jobs.run_self(platform)
    for check in (
        checks.no_track_data_at_rest,
        checks.no_card_code_at_rest,
        checks.card_numbers_only_in_the_vault,
    ):
        result = check(platform)
        assert result.holds, result.detail
        assert "SC-2026-0001" in result.detail
    platform.clock.advance(timedelta(days=2, minutes=1))
    stale = checks.no_track_data_at_rest(platform)
    assert not stale.holds
    assert "more than two days old" in stale.detail
    assert not checks.no_card_code_at_rest(platform).holds


@pytest.mark.policy("IS-SENS-TRACK")
def test_track_data_found_fails_the_track_check(platform, tmp_path):
    track = f"%B{CARD}^EXAMPLE/ANN^2812101000000000000000000?;{CARD}=28121010000000000000?\n"
    (tmp_path / "pos.log").write_text(track, "utf-8")
    reference = _record_own(platform, tmp_path)
    found = checks.no_track_data_at_rest(platform)
    assert not found.holds
    assert reference in found.detail
    assert "track data" in found.detail
    assert CARD not in found.detail
    assert found.records == ((f"Scan {reference}", f"/staff/scans/{reference}"),)


@pytest.mark.policy("IS-SENS-CVV")
def test_a_card_code_found_fails_the_card_code_check(platform, tmp_path):
    (tmp_path / "app.log").write_text('payment {"cvv": "123", "amount": 12}\n', "utf-8")
    _record_own(platform, tmp_path)
    found = checks.no_card_code_at_rest(platform)
    assert not found.holds, found.detail
    assert "card security codes" in found.detail
    assert checks.no_track_data_at_rest(platform).holds


@pytest.mark.policy("IS-SENS-SAFE")
def test_a_card_number_found_fails_the_vault_check(platform):
    plant(platform)
    jobs.run_self(platform)
    found = checks.card_numbers_only_in_the_vault(platform)
    assert not found.holds
    assert "outside the card vault" in found.detail
    # the registry runs the scan's check beside the card capability's structural one
    assert REGISTRY.run("IS-SENS-SAFE", platform).status.value == "fails"


def test_without_a_database_the_checks_cannot_tell(platform):
    ctx = StaticContext(platform.settings, platform.policy, platform.clock)
    for check in (
        checks.no_track_data_at_rest,
        checks.no_card_code_at_rest,
        checks.card_numbers_only_in_the_vault,
    ):
        result = check(ctx)
        assert result.unknown
        assert not result.holds
        assert "no database" in result.detail
