"""The archive on a whole platform (PCI DSS 10.5.1): the command and the job, both audited;
the live check; and restoring a backup, which keeps the archived audit log verifiable --
backups carry only the live part of the chain, the archive stays beside the checkpoint
file, and whichever side of an archive run the backup was taken on, ``audit verify`` passes
after the restore and the next archive run carries on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from klaremont.audit import cli as audit_cli
from klaremont.audit.archive_format import MANIFEST, archive_dir, read_manifest
from klaremont.audit.archive_run import archive_job, run_archive
from klaremont.audit.events import AuditAction
from klaremont.audit.models import AuditEvent
from klaremont.backup import service
from klaremont.cli.context import use_platform
from klaremont.clock import ManualClock
from klaremont.platform import Platform


def months_of_events(platform: Platform, clock: ManualClock, months: int) -> None:
    """Three events in each of ``months`` months."""
    for _ in range(months):
        for n in range(3):
            with platform.unit_of_work() as uow:
                uow.audit(AuditAction.AUDIT_READ, resource=f"probe/{n}")
        clock.advance(timedelta(days=30))


def first_live(platform: Platform) -> int:
    with platform.engine.connect() as conn:
        return int(conn.execute(text("SELECT min(seq) FROM audit_events")).scalar_one())


def verified(platform: Platform) -> None:
    report = platform.audit.verify(platform.engine, all_signatures=True)
    assert report.ok, report.findings


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_a_backup_taken_after_an_archive_run_restores_and_verifies(
    platform: Platform, clock: ManualClock
) -> None:
    """The backup holds the live part and the archived ranges; the archive is beside it."""
    months_of_events(platform, clock, 6)
    archived = run_archive(platform, via="test")
    assert archived.archived
    path, _ = service.create(platform)
    months_of_events(platform, clock, 1)
    service.restore(platform, path)
    verified(platform)
    assert first_live(platform) == archived.archived[-1].hi + 1
    assert "archived" in archive_job(platform)
    verified(platform)


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_a_backup_taken_before_an_archive_run_restores_and_verifies(
    platform: Platform, clock: ManualClock
) -> None:
    """The restored table holds events the archive holds too: verify accepts them (they are
    equal), and the next archive run finishes moving them out."""
    months_of_events(platform, clock, 6)
    path, _ = service.create(platform)
    archived = run_archive(platform, via="test")
    assert archived.archived
    service.restore(platform, path)
    assert first_live(platform) == 1  # the backup's rows are back
    verified(platform)
    again = run_archive(platform, via="test")
    assert [r.lo for r in again.completed] == [r.lo for r in archived.archived]
    assert first_live(platform) > archived.archived[-1].hi
    verified(platform)


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_a_backup_older_than_the_archive_end_sets_the_replaced_segments_aside(
    platform: Platform, clock: ManualClock
) -> None:
    """Segments of events after the backup's end describe the chain the restore replaced:
    their manifest lines and files are set aside (kept for an auditor), and the restored
    chain verifies and archives afresh."""
    months_of_events(platform, clock, 2)
    path, _ = service.create(platform)
    months_of_events(platform, clock, 5)
    archived = run_archive(platform, via="test")
    assert len(archived.archived) >= 3
    service.restore(platform, path)
    directory = archive_dir(platform.audit.checkpoint_file)
    assert len(list(directory.glob(f"{MANIFEST}.superseded-*"))) == 1
    assert list(directory.glob("segment-*.superseded-*"))
    records, _ = read_manifest(directory)
    with platform.engine.connect() as conn:
        restored_end = conn.execute(text("SELECT max(seq) FROM audit_events")).scalar_one()
    assert all(r.hi <= restored_end for r in records)
    verified(platform)
    clock.advance(timedelta(days=200))
    run_archive(platform, via="test")
    verified(platform)


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_the_live_check_fails_until_the_archive_runs_and_when_it_does_not_verify(
    platform: Platform, clock: ManualClock
) -> None:
    """Old events still in the table (the job has not run) fail the clause; archived, it
    holds; a segment file gone fails it again, naming the file."""
    from klaremont.audit.checks import audit_log_archived_on_time  # noqa: PLC0415 - the check

    months_of_events(platform, clock, 6)
    stale = audit_log_archived_on_time(platform)
    assert not stale.holds
    assert "audit-archive job has not run" in stale.detail
    archived = run_archive(platform, via="test")
    fine = audit_log_archived_on_time(platform)
    assert fine.holds, fine.detail
    victim = archived.archived[0].file
    (archive_dir(platform.audit.checkpoint_file) / victim).unlink()
    broken = audit_log_archived_on_time(platform)
    assert not broken.holds
    assert victim in broken.detail


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_the_archive_command_moves_old_events_and_is_audited(
    platform: Platform, clock: ManualClock
) -> None:
    """`klaremont audit archive` archives per the policy, says what it did, records
    audit.archive with the counts; `klaremont audit verify` then reports the archive too."""
    months_of_events(platform, clock, 6)
    use_platform(platform)
    try:
        done = CliRunner().invoke(audit_cli.app, ["archive"])
        assert done.exit_code == 0, done.output
        verified_cli = CliRunner().invoke(audit_cli.app, ["verify"])
        assert verified_cli.exit_code == 0, verified_cli.output
    finally:
        use_platform(None)
    assert "archived 9 event(s) in 3 segment(s)" in done.output
    assert "archived in 3 segment(s)" in verified_cli.output
    with platform.unit_of_work() as uow:
        event = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "audit.archive")
        ).one()
    details = event.details_dict()
    assert (details["via"], details["archived_events"], details["archived_segments"]) == (
        "command",
        9,
        3,
    )
    assert details["archived_ranges"] == [[1, 3], [4, 6], [7, 9]]
