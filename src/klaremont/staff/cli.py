"""``klaremont staff …``: staff accounts, roles, leavers, lockouts, inactivity and access reviews.

Every command runs in one unit of work as the shell operator (``cli:<os user>``), so each
change is audited like the same change made in the console.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from klaremont.cli.context import cli_actor, console, get_platform
from klaremont.staff import jobs, service_accounts, service_lifecycle, service_passwords
from klaremont.staff import service_review as review
from klaremont.staff.clock_check import check_clock
from klaremont.staff.permissions import Role, parse_role

app = typer.Typer(name="staff", help="Staff accounts and access control.", no_args_is_help=True)


def _role(value: str) -> Role:
    try:
        return parse_role(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _actor_label() -> str:
    return str(cli_actor())


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="login name (unique whatever its case)")],
    *,
    full_name: Annotated[str, typer.Option("--name", help="the person's full name")],
    email: Annotated[str, typer.Option("--email", help="work e-mail (one account per person)")],
    job_role: Annotated[str, typer.Option("--job-role", help="the role the job needs")],
    manager: Annotated[str | None, typer.Option(help="line manager's username")] = None,
    vetted_on: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="date of the background check (data roles)"),
    ] = None,
    one_time: Annotated[
        bool, typer.Option("--one-time", help="generate a one-time password instead of prompting")
    ] = False,
) -> None:
    """Create a staff account; prompts for the password twice (never echoed)."""
    password = None
    if not one_time:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    platform = get_platform()
    with platform.unit_of_work(actor=cli_actor()) as uow:
        manager_id = service_accounts.account_by_username(uow, manager).id if manager else None
        created = service_accounts.create_account(
            uow,
            service_accounts.NewAccount(
                username=username,
                full_name=full_name,
                work_email=email,
                job_role=_role(job_role),
                line_manager_id=manager_id,
                password=password,
                vetted_on=vetted_on.date() if vetted_on else None,
            ),
            created_by=_actor_label(),
        )
        name = created.account.username
    console.print(f"[green]created[/] {name} ({job_role})")
    if created.one_time_password:
        console.print(
            f"one-time password (shown once; changed at first login): {created.one_time_password}"
        )


@app.command("grant-role")
def grant_role(
    username: str,
    role: str,
    revoke: Annotated[bool, typer.Option("--revoke", help="revoke instead of granting")] = False,
) -> None:
    """Grant (or revoke) a role; roles that read personal data need a vetting date first."""
    platform = get_platform()
    with platform.unit_of_work(actor=cli_actor()) as uow:
        account = service_accounts.account_by_username(uow, username)
        if revoke:
            changed = service_accounts.revoke_role(
                uow, account.id, _role(role), revoked_by=_actor_label()
            )
        else:
            changed = service_accounts.grant_role(
                uow, account.id, _role(role), granted_by=_actor_label()
            )
    verb = "revoked" if revoke else "granted"
    console.print(f"{role} {verb} for {username}" if changed else f"nothing to do for {username}")


@app.command("vetting")
def vetting(
    username: str,
    vetted_on: Annotated[datetime, typer.Argument(formats=["%Y-%m-%d"], help="YYYY-MM-DD")],
) -> None:
    """Record the date of a background check."""
    platform = get_platform()
    with platform.unit_of_work(actor=cli_actor()) as uow:
        account = service_accounts.account_by_username(uow, username)
        service_accounts.record_vetting(uow, account.id, vetted_on.date(), by=_actor_label())
    console.print(f"vetting of {username} recorded: {vetted_on.date().isoformat()}")


@app.command("training")
def training(username: str) -> None:
    """Record that the person completed data-protection training today (DP-AWARE)."""
    platform = get_platform()
    with platform.unit_of_work(actor=cli_actor()) as uow:
        account = service_accounts.account_by_username(uow, username)
        service_accounts.record_training(uow, account.id, uow.clock.now(), by=_actor_label())
    console.print(f"training of {username} recorded")


@app.command("offboard")
def offboard(
    username: str,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """A leaver: revoke sessions, password, tokens, remote access, MFA and roles at once."""
    if not yes:
        typer.confirm(f"Offboard {username}? Everything they hold is revoked now", abort=True)
    platform = get_platform()
    with platform.unit_of_work(actor=cli_actor()) as uow:
        account = service_accounts.account_by_username(uow, username)
        report = service_lifecycle.offboard(uow, account.id, by=_actor_label())
    console.print(
        f"[green]offboarded[/] {username}: {report.sessions} sessions ended, "
        f"{report.api_tokens} API tokens and {report.remote_grants} remote grants revoked, "
        f"roles removed: {', '.join(report.roles) or 'none'}"
    )
    for hook, summary in report.hooks.items():
        console.print(f"  {hook}: {summary}")


@app.command("unlock")
def unlock(username: str) -> None:
    """Lift a lockout."""
    platform = get_platform()
    with platform.unit_of_work(actor=cli_actor()) as uow:
        account = service_accounts.account_by_username(uow, username)
        was_locked = service_lifecycle.unlock_account(uow, account.id, by=_actor_label())
    console.print(f"{username} unlocked" if was_locked else f"{username} was not locked")


@app.command("reset-password")
def reset_password(username: str) -> None:
    """Set a one-time password (printed once), unlock, and end every session."""
    platform = get_platform()
    with platform.unit_of_work(actor=cli_actor()) as uow:
        account = service_accounts.account_by_username(uow, username)
        one_time = service_passwords.admin_reset(uow, account, by=_actor_label())
    console.print(f"one-time password for {username} (shown once; changed at first login):")
    console.print(one_time, markup=False, highlight=False)


@app.command("maintenance")
def maintenance(
    username: str,
    *,
    full_name: Annotated[str, typer.Option("--name", help="the person or vendor's name")],
    email: Annotated[str, typer.Option("--email", help="their e-mail address")],
    hours: Annotated[int, typer.Option(min=1, max=8760, help="how long it stays enabled")],
    sponsor: Annotated[str, typer.Option(help="username of the staff member who asked for it")],
) -> None:
    """Create a time-boxed remote maintenance account that disables itself."""
    platform = get_platform()
    with platform.unit_of_work(actor=cli_actor()) as uow:
        sponsor_id = service_accounts.account_by_username(uow, sponsor).id
        created = service_lifecycle.create_maintenance_account(
            uow,
            username=username,
            full_name=full_name,
            work_email=email,
            hours=hours,
            sponsor_id=sponsor_id,
            created_by=_actor_label(),
        )
        until = created.account.expires_at
    console.print(f"maintenance account {username} enabled until {until:%Y-%m-%d %H:%M} UTC")
    console.print(f"one-time password (shown once): {created.one_time_password}", markup=False)


@app.command("list")
def list_staff(
    all_accounts: Annotated[bool, typer.Option("--all", help="include closed accounts")] = False,
) -> None:
    """Accounts with their roles and state."""
    platform = get_platform()
    table = Table(header_style="bold")
    for column in ("username", "status", "job", "roles", "last login", "locked"):
        table.add_column(column)
    with platform.unit_of_work(actor=cli_actor()) as uow:
        for account in service_accounts.list_accounts(uow, include_closed=all_accounts):
            roles = ", ".join(sorted(r.value for r in service_accounts.roles_of(uow, account.id)))
            last = (
                account.last_login_at.strftime("%Y-%m-%d %H:%M")
                if account.last_login_at
                else "never"
            )
            table.add_row(
                account.username,
                account.status,
                account.job_role,
                roles or "-",
                last,
                "yes" if account.locked_at else "",
            )
    console.print(table)


@app.command("training-overdue")
def training_overdue() -> None:
    """Active accounts whose data-protection training is missing or older than a year."""
    platform = get_platform()
    with platform.unit_of_work(actor=cli_actor()) as uow:
        names = [a.username for a in service_accounts.training_overdue(uow)]
    console.print("\n".join(names) if names else "nobody is overdue")


@app.command("inactivity-sweep")
def inactivity_sweep() -> None:
    """Disable accounts idle past the policy period and expired maintenance accounts."""
    platform = get_platform()
    with (
        Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
        ) as bar,
        platform.unit_of_work(actor=cli_actor()) as uow,
    ):
        task = bar.add_task("checking accounts", total=None)
        report = jobs.inactivity_sweep(
            uow, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
    console.print(
        f"checked {report.checked}; disabled {len(report.inactive)} inactive "
        f"({', '.join(report.inactive) or '-'}) and {len(report.expired)} expired "
        f"({', '.join(report.expired) or '-'})"
    )


@app.command("access-review")
def access_review(
    html: Annotated[
        Path | None, typer.Option("--html", help="write the report as HTML here")
    ] = None,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="write the report as CSV here")
    ] = None,
) -> None:
    """Produce the access review report (HTML and/or CSV, or a summary on screen)."""
    platform = get_platform()
    with platform.unit_of_work(actor=cli_actor()) as uow:
        report = review.build_report(uow)
        if html is not None:
            html.write_text(review.to_html(report), encoding="utf-8")
            review.record_export(uow, report, "html")
        if csv_path is not None:
            csv_path.write_text(review.to_csv(report), encoding="utf-8")
            review.record_export(uow, report, "csv")
    console.print(f"{len(report.rows)} accounts, {report.flagged} flagged; digest {report.digest}")
    for flag, count in report.flag_counts.items():
        if count:
            console.print(f"  {flag}: {count}")
    for path in (html, csv_path):
        if path is not None:
            console.print(f"wrote {path}")


@app.command("clock-check")
def clock_check() -> None:
    """Measure clock skew against KLAREMONT_TIME_SOURCE (IS-AC-CLOCK)."""
    result = check_clock(get_platform())
    console.print(result.detail)
    if not result.ok:
        raise typer.Exit(1)
