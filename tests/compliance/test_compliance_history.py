"""The live-status history: the hourly job keeps a row only when a clause's status changes,
and breaking one control turns exactly its clauses to "fails", with the reason, on the
page, in the drill-down and in the metrics."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from compliance_support import BROWSER, a_customer, overdue_request
from sqlalchemy import func, select

from klaremont import metrics
from klaremont.capabilities import jobs
from klaremont.compliance import history
from klaremont.compliance import metrics as compliance_metrics
from klaremont.compliance.models import ClauseStatusChange
from klaremont.jobs.worker import Worker
from klaremont.policy.live import REGISTRY, LiveStatus, load_all_checks

#: the clauses an unanswered access request breaks: every request answered in time
#: (rights.checks.no_request_overdue) and access requests answered in time, with the copy
BROKEN = {"DP-DPO", "DP-PROMPT", "PP-R-ACCESS"}


def _rows(platform) -> int:
    with platform.unit_of_work() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(ClauseStatusChange)) or 0)


def _record(platform) -> history.Recorded:
    outcomes = history.run_checks(platform)
    with platform.unit_of_work(actor=history.JOB_ACTOR) as uow:
        return history.record(uow, outcomes)


def test_the_job_is_declared_hourly_and_records_only_changes(platform, clock):
    declared = {job.name: job for _, job in jobs()}
    assert declared["compliance-history"].every == timedelta(hours=1)
    line = history.check_all(platform)
    load_all_checks()
    checked = [c for c in REGISTRY.clause_ids() if REGISTRY.checks_for(c)]
    assert line.startswith(f"{len(checked)} clauses checked")
    assert _rows(platform) == len(checked)  # a first row for every clause with a check
    clock.advance(timedelta(minutes=1))
    again = _record(platform)
    assert again.changed == ()
    assert _rows(platform) == len(checked)


@pytest.mark.policy("DP-DPO", "DP-LAW")
def test_an_overdue_request_turns_exactly_its_clauses_to_fails(platform, clock, signed_in):
    person = a_customer(platform)
    Worker(platform, identity="w:1").catch_up()  # the worker runs here: its jobs' checks hold
    before = _record(platform)
    with platform.unit_of_work() as uow:
        first = history.latest(uow.session)
    assert {first[c].status for c in BROKEN} == {LiveStatus.HOLDS.value}, before
    reference = overdue_request(platform, person)
    clock.advance(timedelta(hours=1))

    after = _record(platform)

    assert set(after.changed) == BROKEN
    with platform.unit_of_work() as uow:
        now = history.latest(uow.session)
        changes = history.history_of(uow.session, "DP-PROMPT")
    for clause in BROKEN:
        assert now[clause].status == LiveStatus.FAILS.value
        assert reference in now[clause].detail
    assert [c.status for c in changes] == ["fails", "holds"]

    dave = signed_in("dave")
    page = dave.get("/staff/compliance?status=fails", headers=BROWSER)
    assert page.status_code == 200, page.text
    assert "DP-PROMPT" in page.text
    assert reference in page.text
    assert "Fails" in page.text
    assert "since" in page.text
    holds = dave.get("/staff/compliance?status=holds", headers=BROWSER).text
    assert "/staff/compliance/DP-PROMPT" not in holds
    drill = dave.get("/staff/compliance/DP-PROMPT", headers=BROWSER)
    assert drill.status_code == 200
    assert "klaremont.rights.checks:no_request_overdue" in drill.text
    assert drill.text.count('class="status-') >= 2  # both recorded statuses in the history
    words = re.sub(r"<[^>]+>", " ", drill.text)
    assert "Fails" in words
    assert "fails" not in words  # words, never the stored value

    exposed = metrics.exposition(platform, []).decode()
    assert 'klaremont_clause_live_status{clause="DP-PROMPT",status="fails"} 1.0' in exposed
    assert 'klaremont_clause_live_status{clause="DP-PROMPT",status="holds"} 0.0' in exposed
    assert (
        'klaremont_work_queue_items{queue="Data-subject requests",urgency="overdue"} 1.0' in exposed
    )
    assert reference not in exposed  # references and names never in labels
    assert "klaremont_metrics_contribution_failures 0.0" in exposed
    assert "klaremont_work_queue_failures 0.0" in exposed


def test_the_metrics_read_the_history_and_run_no_check(platform, monkeypatch):
    history.check_all(platform)

    def refuse(*_args, **_kwargs):
        raise AssertionError("a scrape must not run a live check")

    monkeypatch.setattr(REGISTRY, "run", refuse)
    found = {m.name: m for m in compliance_metrics.collect(platform)}
    statuses = found["klaremont_clause_live_status"].samples
    assert {s.labels["clause"] for s in statuses} >= BROKEN
    per_clause = {}
    for sample in statuses:
        per_clause.setdefault(sample.labels["clause"], 0.0)
        per_clause[sample.labels["clause"]] += sample.value
    assert set(per_clause.values()) == {1.0}  # exactly one current status each


@pytest.mark.policy("DP-DPO", "DP-LAW")
def test_a_clause_page_says_what_holds_now_when_the_hourly_record_is_behind(
    platform, clock, signed_in
):
    """Recorded "holds", broken since: the drill-down runs the checks and its verdict says
    "Fails" with the reason (it said "Holds since ..." above a failing check)."""
    person = a_customer(platform)
    Worker(platform, identity="w:1").catch_up()
    _record(platform)  # recorded: holds
    reference = overdue_request(platform, person)
    clock.advance(timedelta(hours=1))  # overdue now, not yet recorded
    drill = signed_in("dave").get("/staff/compliance/DP-PROMPT", headers=BROWSER)
    verdict = re.search(r'<p id="verdict"[^>]*>(.*?)</p>', drill.text, re.DOTALL).group(1)
    assert "<strong>Fails</strong>" in verdict
    assert reference in verdict
    assert "since" not in verdict
    with platform.unit_of_work() as uow:
        assert history.latest(uow.session)["DP-PROMPT"].status == LiveStatus.HOLDS.value
