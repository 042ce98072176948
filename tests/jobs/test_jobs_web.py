"""The Scheduled jobs page and ``/api/jobs``: for technical operations and the ISO only."""

from __future__ import annotations

from jobs_support import runs
from starlette.testclient import TestClient

from klaremont.jobs.config import find_job
from klaremont.jobs.runner import run_job
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff, staff_client


def _client(platform, name, role) -> TestClient:
    make_staff(platform, name, role)
    return staff_client(platform, name)


def test_the_page_shows_each_job_in_plain_english_for_the_iso(platform):
    job = find_job("prune-throttle")
    assert job is not None
    run_job(platform, job, worker="host:1")
    with _client(platform, "ida", Role.ISO) as client:
        page = client.get("/staff/jobs")
        home = client.get("/staff/")
    assert page.status_code == 200
    text = page.text
    assert "Scheduled jobs" in text
    assert "Delete sign-in throttle rows whose window and pause are over" in text
    assert "Every day" in text
    assert "Succeeded" in text
    assert "Never" in text  # the jobs that have not run yet
    assert str(runs(platform)[0].id) not in text  # no ids on the page
    assert 'href="/staff/jobs"' in home.text


def test_technical_operations_see_the_page(platform):
    with _client(platform, "otto", Role.TECHNICAL_OPERATIONS) as client:
        assert client.get("/staff/jobs").status_code == 200


def test_a_role_without_the_permission_is_refused(platform):
    with _client(platform, "sam", Role.SUPPORT_AGENT) as client:
        page = client.get("/staff/jobs", follow_redirects=False)
        api = client.get("/api/jobs")
        home = client.get("/staff/")
    assert page.status_code == 403
    assert api.status_code == 403
    assert 'href="/staff/jobs"' not in home.text


def test_the_api_lists_jobs_and_runs(platform):
    job = find_job("shred-due")
    assert job is not None
    run_job(platform, job, worker="host:1")
    with _client(platform, "ida", Role.ISO) as client:
        jobs = client.get("/api/jobs").json()["jobs"]
        all_runs = client.get("/api/jobs/runs", params={"limit": 5}).json()["runs"]
        one = client.get("/api/jobs/runs", params={"job": "shred-due"}).json()["runs"]
        bad = client.get("/api/jobs/runs", params={"job": "nope"})
    shred = next(j for j in jobs if j["name"] == "shred-due")
    assert shred["interval_seconds"] == 86_400
    assert shred["last_run"]["outcome"] == "succeeded"
    assert shred["failed"] is False
    assert [r["job"] for r in all_runs] == ["shred-due"]
    assert len(one) == 1
    assert bad.status_code == 422
    assert "job" in bad.text
