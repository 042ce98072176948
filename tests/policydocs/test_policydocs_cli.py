"""``klaremont policydocs``: publish, list, show, sections, review and overdue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from klaremont.policydocs import service


@pytest.mark.policy("DP-GUIDE", "DP-REVIEW")
def test_publish_list_show_and_review(run, platform, staff):
    del staff
    published = run("policydocs", "publish", "all", "--version", "2026.1", "--by", "Dina")
    assert published.exit_code == 0, published.output
    assert published.output.count("published ") == 4
    listed = run("policydocs", "list")
    assert listed.exit_code == 0
    assert "2026.1" in listed.output
    assert "yes" in listed.output
    shown = run("policydocs", "show", "dp")
    assert shown.exit_code == 0
    assert "DP.1 Commitments" in shown.output
    assert run("policydocs", "show", "dp", "--version", "2026.1").exit_code == 0
    reviewed = run("policydocs", "review", "DP.1", "--by", "Dina", "--note", "ok")
    assert reviewed.exit_code == 0, reviewed.output
    assert "review of DP.1 recorded" in reviewed.output
    with platform.unit_of_work() as uow:
        row = next(s for s in service.sections(uow) if s.number == "DP.1")
        assert row.last_reviewed_by == "Dina"
    register = run("policydocs", "sections")
    assert register.exit_code == 0
    assert "never" in register.output


def test_commands_refuse_bad_input_naming_the_option(run, staff):
    del staff
    bad = run("policydocs", "publish", "DP", "--version", "1", "--by", "D", "--effective", "x")
    assert bad.exit_code != 0
    assert "--effective" in str(bad.exception) + bad.output
    review = run("policydocs", "review", "DP.1", "--by", "Dina", "--on", "soon")
    assert review.exit_code != 0
    assert "--on" in str(review.exception) + review.output
    nothing = run("policydocs", "show", "SP")
    assert nothing.exit_code != 0
    assert "no version in force" in str(nothing.exception) + nothing.output


@pytest.mark.policy("DP-AWARE", "DP-REVIEW")
def test_overdue_lists_people_and_sections(run, platform, staff, published):
    del staff, published
    assert "nobody overdue" in run("policydocs", "overdue").output
    platform.clock.advance(timedelta(days=366))
    found = run("policydocs", "overdue").output
    assert "acknowledgement: sal - Data Protection Policy 2026.1" in found
    assert "review: SP.1 Information Security Officer - iso" in found
