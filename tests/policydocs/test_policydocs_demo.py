"""The demo's policies: everything published and reviewed, one acknowledgement overdue, so
DP-GUIDE and DP-REVIEW hold and DP-AWARE fails naming that one person."""

from __future__ import annotations

import random

import pytest

from klaremont.policydocs import checks, demo_data, overdue


@pytest.mark.policy("DP-GUIDE", "DP-AWARE", "DP-REVIEW")
def test_the_demo_shows_one_overdue_acknowledgement(platform, staff):
    del staff
    with platform.unit_of_work() as uow:
        said = demo_data.seed(uow, random.Random(1), None)
        assert "sal overdue acknowledging the Data Protection Policy" in said[0]
        [late] = overdue.overdue_acknowledgements(uow)
        assert (late.username, late.document) == ("sal", "DP")
        assert overdue.overdue_reviews(uow) == []
    assert checks.every_document_readable(platform).holds
    assert checks.no_review_overdue(platform).holds
    aware = checks.everyone_acknowledged(platform)
    assert not aware.holds
    assert aware.detail.endswith(": sal")
