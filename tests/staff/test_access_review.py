"""The access review: report, flags, exports and sign-off (IS-AC-REVIEW, IS-SENS-VET, DP-AWARE)."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from staff_support import make_staff, new_client, signed_in

from klaremont.audit.models import AuditEvent
from klaremont.staff import service_review
from klaremont.staff.models import StaffRole
from klaremont.staff.permissions import Role
from klaremont.staff.service_lifecycle import create_maintenance_account


def _rows(platform) -> dict[str, service_review.ReviewRow]:
    with platform.unit_of_work() as uow:
        return {row.username: row for row in service_review.build_report(uow).rows}


@pytest.mark.policy("IS-AC-REVIEW", "IS-SENS-VET", "DP-AWARE")
def test_flags_name_what_the_reviewer_must_look_at(platform, office, clock):
    """Inactive, orphaned, excessive, unvetted data role, expired password, maintenance, locked,
    overdue training and concurrent origins are each flagged on the right account.
    """
    boss = make_staff(platform, "boss", Role.DIRECTOR)
    make_staff(platform, "orphan", Role.ENGINEER)
    make_staff(
        platform, "busy", Role.ENGINEER, manager=boss.id, extra_roles=(Role.TECHNICAL_OPERATIONS,)
    )
    legacy = make_staff(platform, "legacy", Role.ENGINEER, manager=boss.id, vetted=False)
    with platform.unit_of_work() as uow:
        uow.session.add(
            StaffRole(
                account_id=legacy.id,
                role="support_agent",
                granted_at=clock.now(),
                granted_by="import",
            )
        )
        create_maintenance_account(
            uow,
            username="fixit",
            full_name="Fix It",
            work_email="fix@x.example",
            hours=4,
            sponsor_id=boss.id,
            created_by="t",
        )
    sharer = make_staff(platform, "sharer", Role.ENGINEER, manager=boss.id)
    with new_client(platform, ("127.0.0.2", 1)) as elsewhere:
        signed_in(elsewhere, sharer)
    signed_in(office, sharer)
    for _ in range(3):
        office.post("/api/auth/login", json={"username": "orphan", "password": "wrong-wrong-wrong"})
    rows = _rows(platform)
    assert "orphaned" in rows["orphan"].flags
    assert "locked" in rows["orphan"].flags
    assert "excessive" in rows["busy"].flags
    assert "excessive" not in rows["sharer"].flags
    assert "unvetted-data-role" in rows["legacy"].flags
    assert "maintenance" in rows["fixit"].flags
    assert "concurrent-origins" in rows["sharer"].flags
    assert all("training-overdue" in row.flags for row in rows.values())
    clock.advance(timedelta(days=91))
    rows = _rows(platform)
    assert "inactive" in rows["boss"].flags
    assert "password-expired" in rows["boss"].flags


@pytest.mark.policy("IS-AC-REVIEW")
def test_csv_and_html_exports(platform):
    """The report exports as CSV (one row per account) and as one self-contained HTML page."""
    make_staff(platform, "alma", Role.ENGINEER)
    with platform.unit_of_work() as uow:
        report = service_review.build_report(uow)
    rows = list(csv.DictReader(io.StringIO(service_review.to_csv(report))))
    assert [r["username"] for r in rows] == ["alma"]
    assert rows[0]["roles"] == "engineer"
    html = service_review.to_html(report)
    assert "<style>" in html
    assert "alma" in html
    assert "http" not in html.split("<body>")[0].replace("http-equiv", "")


@pytest.mark.policy("IS-AC-REVIEW")
def test_csv_cells_cannot_carry_formulas(platform):
    """A value starting like a spreadsheet formula (a full name typed as one) is
    neutralised in the CSV; plain values are as they are."""
    make_staff(platform, "alma", Role.ENGINEER)
    with platform.unit_of_work() as uow:
        report = service_review.build_report(uow)
    typed = dataclasses.replace(report.rows[0], full_name="=HYPERLINK(1)")
    report = dataclasses.replace(report, rows=[typed])
    (row,) = csv.DictReader(io.StringIO(service_review.to_csv(report)))
    assert row["full_name"] == "'=HYPERLINK(1)"
    assert row["username"] == "alma"


@pytest.mark.policy("IS-AC-REVIEW")
def test_sign_off_records_the_digest_and_is_audited(platform, office):
    """The reviewer signs off the report they saw; a changed report is refused; both are audited."""
    iso = make_staff(platform, "iona", Role.ISO)
    headers = signed_in(office, iso)
    report = office.get("/api/staff/access-review", headers=headers)
    assert report.status_code == 200
    digest = report.json()["digest"]
    make_staff(platform, "newcomer", Role.ENGINEER)
    stale = office.post(
        "/api/staff/access-review/sign-off", json={"digest": digest}, headers=headers
    )
    assert stale.status_code == 409
    digest = office.get("/api/staff/access-review", headers=headers).json()["digest"]
    signed = office.post(
        "/api/staff/access-review/sign-off",
        json={"digest": digest, "notes": "all fine"},
        headers=headers,
    )
    assert signed.status_code == 201, signed.text
    assert signed.json()["digest"] == digest
    after = office.get("/api/staff/access-review", headers=headers).json()
    assert after["last_signed_by"] == "iona"
    assert after["next_due"] is not None
    with platform.unit_of_work() as uow:
        actions = uow.session.scalars(select(AuditEvent.action)).all()
    assert "staff.review.signoff" in actions
    assert "staff.review.export" in actions


@pytest.mark.policy("IS-AC-REVIEW")
def test_review_pages_show_html_and_csv(platform, office):
    """The console shows the review page and serves the CSV to reviewers, and signs off by form."""
    iso = make_staff(platform, "ines", Role.ISO)
    headers = signed_in(office, iso)
    page = office.get("/staff/access-review")
    assert page.status_code == 200
    assert "ines" in page.text
    assert "<script" not in page.text
    assert "style=" not in page.text
    words = re.sub(r"<[^>]+>", " ", page.text.split("<main", 1)[1])
    assert "Information security officer" in words  # roles, flags and times in words
    assert "Password expired: " in words
    for code in ("iso", "password-expired", "training-overdue", "UTC", "digest"):
        assert not re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", words), code
    assert not re.search(r"\d{4}-\d{2}-\d{2}", words)
    download = office.get("/staff/access-review.csv")
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    digest = office.get("/api/staff/access-review").json()["digest"]
    signed = office.post(
        "/staff/access-review/sign-off",
        data={"digest": digest, "notes": "", "csrf_token": headers["X-CSRF-Token"]},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    assert "Last signed off" in office.get("/staff/access-review").text
