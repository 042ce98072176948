"""The demo records one scan of the platform's own data at seed time: clean, so the console
shows a run and the scan's live checks hold on the demo."""

from __future__ import annotations

import pytest

from klaremont.demo import service as demo
from klaremont.scan import checks, service
from klaremont.scan.models import ScanStatus

SMALL = demo.DemoSize(customers=6, seed=5)


@pytest.mark.policy("IS-SENS-TRACK", "IS-SENS-CVV", "IS-SENS-SAFE")
def test_the_demo_records_a_clean_self_scan(platform):
    demo.seed(platform, SMALL)
    with platform.unit_of_work() as uow:
        run = service.latest_self(uow)
        assert run is not None
        assert run.status is ScanStatus.CLEAN, service.counts(run)
        assert run.card_data == 0
    for check in (
        checks.no_track_data_at_rest,
        checks.no_card_code_at_rest,
        checks.card_numbers_only_in_the_vault,
    ):
        result = check(platform)
        assert result.holds, result.detail
