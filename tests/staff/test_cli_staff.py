"""``klaremont staff …`` commands (IS-PW-UNIQUE, IS-AC-LEAVER, IS-AC-INACTIVE, IS-AC-REVIEW)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from staff_support import PASSWORD, login, make_staff
from typer.testing import CliRunner

from klaremont.audit.models import AuditEvent
from klaremont.cli.context import use_platform
from klaremont.cli.main import app
from klaremont.staff.models import StaffAccount
from klaremont.staff.permissions import Role


@pytest.fixture
def cli(platform):
    """Run commands against this test's platform."""
    use_platform(platform)
    runner = CliRunner()
    yield lambda *args, stdin=None: runner.invoke(app, ["staff", *args], input=stdin)
    use_platform(None)


def _account(platform, username):
    with platform.unit_of_work() as uow:
        return uow.session.scalars(
            select(StaffAccount).where(StaffAccount.username == username)
        ).one()


@pytest.mark.policy("IS-PW-UNIQUE", "IS-PW-STRONG")
def test_create_prompts_for_the_password_without_echo(platform, cli, office):
    """create asks for the password twice, never prints it, and the account can sign in with it."""
    result = cli(
        "create",
        "jade",
        "--name",
        "Jade Ward",
        "--email",
        "jade@klaremont.example",
        "--job-role",
        "engineer",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert "created jade" in result.output
    office.post("/api/auth/login", json={"username": "JADE", "password": PASSWORD})
    assert office.get("/api/auth/me").json()["username"] == "jade"
    again = cli(
        "create",
        "Jade",
        "--name",
        "J",
        "--email",
        "j2@klaremont.example",
        "--job-role",
        "engineer",
        "--one-time",
    )
    assert again.exit_code != 0


@pytest.mark.policy("IS-SENS-VET")
def test_grant_role_refuses_unvetted_data_roles(platform, cli):
    """grant-role refuses a data role before vetting, and grants it after."""
    make_staff(platform, "kai", Role.ENGINEER, vetted=False)
    refused = cli("grant-role", "kai", "finance")
    assert refused.exit_code != 0
    assert cli("vetting", "kai", "2025-09-01").exit_code == 0
    granted = cli("grant-role", "kai", "finance")
    assert granted.exit_code == 0, granted.output
    assert "finance granted" in granted.output
    assert cli("grant-role", "kai", "finance", "--revoke").exit_code == 0
    assert cli("grant-role", "kai", "wizard").exit_code != 0


@pytest.mark.policy("IS-AC-LEAVER", "IS-PW-LOCK3")
def test_offboard_unlock_and_reset(platform, cli, office):
    """unlock lifts a lock, reset-password prints a one-time password, offboard revokes it all."""
    lou = make_staff(platform, "lou")
    for _ in range(3):
        login(office, lou, password="nope-nope-nope")
    assert "lou unlocked" in cli("unlock", "lou").output
    assert login(office, lou).status_code == 200
    reset = cli("reset-password", "lou")
    one_time = reset.output.strip().splitlines()[-1]
    assert login(office, lou, password=one_time).json()["must_change_password"] is True
    result = cli("offboard", "lou", "--yes")
    assert result.exit_code == 0, result.output
    assert "offboarded lou" in result.output
    assert office.get("/api/auth/me").status_code == 401
    assert _account(platform, "lou").status == "offboarded"
    with platform.unit_of_work() as uow:
        actor = uow.session.scalars(
            select(AuditEvent.actor_id).where(AuditEvent.action == "staff.offboard")
        ).one()
    assert actor.startswith("cli:")


@pytest.mark.policy("IS-AC-INACTIVE", "IS-AC-MAINT")
def test_inactivity_sweep_and_maintenance(platform, cli, clock):
    """inactivity-sweep disables idle and expired accounts; maintenance makes a bounded one."""
    make_staff(platform, "max", Role.TECHNICAL_OPERATIONS)
    made = cli(
        "maintenance",
        "vendor",
        "--name",
        "V",
        "--email",
        "v@x.example",
        "--hours",
        "3",
        "--sponsor",
        "max",
    )
    assert made.exit_code == 0, made.output
    assert "one-time password" in made.output
    assert (
        cli(
            "maintenance",
            "v2",
            "--name",
            "V",
            "--email",
            "v2@x.example",
            "--hours",
            "99",
            "--sponsor",
            "max",
        ).exit_code
        != 0
    )
    clock.advance(timedelta(days=91))
    swept = cli("inactivity-sweep")
    assert swept.exit_code == 0, swept.output
    assert "disabled 1 inactive (max)" in swept.output
    assert "1 expired (vendor)" in swept.output
    listed = cli("list", "--all")
    assert "disabled" in listed.output


@pytest.mark.policy("IS-AC-REVIEW", "DP-AWARE")
def test_access_review_files(platform, cli, tmp_path):
    """access-review writes the HTML and CSV reports and prints the flag counts."""
    make_staff(platform, "noa", Role.ENGINEER)
    html, csv_path = tmp_path / "review.html", tmp_path / "review.csv"
    result = cli("access-review", "--html", str(html), "--csv", str(csv_path))
    assert result.exit_code == 0, result.output
    assert "noa" in html.read_text()
    assert csv_path.read_text().splitlines()[0].startswith("username,")
    assert "training-overdue: 1" in result.output
    assert "noa" in cli("training-overdue").output
    assert cli("training", "noa").exit_code == 0
    assert "nobody is overdue" in cli("training-overdue").output


@pytest.mark.policy("IS-AC-CLOCK")
def test_clock_check_without_a_source(cli):
    """clock-check says skew is not measured when no time source is configured."""
    result = cli("clock-check")
    assert result.exit_code == 0
    assert "not measured" in result.output
