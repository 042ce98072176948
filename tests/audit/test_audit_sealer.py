"""Background sealing: checkpoints written by a thread, at most one per interval.

Most tests use a one-minute interval, so "within one interval" holds on any machine, and
wait with ``flush()`` or ``wait_idle()`` rather than sleeping: nothing here depends on how
fast the machine is.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from audithelp import ALICE, Writer
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from klaremont.audit import cli as audit_cli
from klaremont.audit import sealer as sealer_module
from klaremont.audit.checkpoints import (
    Checkpoint,
    CheckpointSigner,
    load_or_create_signing_key,
    read_checkpoints,
)
from klaremont.audit.log import AuditLog
from klaremont.audit.sealer import Sealer
from klaremont.audit.verify import verify_log
from klaremont.cards.actions import CardAction
from klaremont.cli.context import use_platform
from klaremont.clock import ManualClock
from klaremont.config import Settings
from klaremont.platform import Platform
from klaremont.staff.actions import StaffAction

MINUTE = 60.0  # every burst in these tests fits in one interval this long
WAIT = 60.0  # the longest any wait_idle() may take before the test fails


def _sealer(audit: AuditLog) -> Sealer:
    sealer = audit._sealer
    assert sealer is not None
    return sealer


def _checkpoints(audit: AuditLog) -> list[Checkpoint]:
    checkpoints, malformed = read_checkpoints(audit.checkpoint_file)
    assert not malformed
    return checkpoints


def _background(clock: ManualClock, key_file: Path, checkpoint_file: Path) -> AuditLog:
    signer = CheckpointSigner(load_or_create_signing_key(key_file))
    return AuditLog(
        clock=clock, signer=signer, checkpoint_file=checkpoint_file, seal_interval=MINUTE
    )


@pytest.fixture
def background(clock: ManualClock, key_file: Path, tmp_path: Path) -> Iterator[AuditLog]:
    """An audit log sealed by a background thread, one checkpoint a minute at most."""
    audit = _background(clock, key_file, tmp_path / "checkpoints.jsonl")
    yield audit
    audit.close()


@pytest.fixture
def bg_writer(background: AuditLog, engine: Engine, clock: ManualClock) -> Writer:
    """Appends events, each in its own committed transaction, sealed in the background."""
    factory = sessionmaker(engine, expire_on_commit=False)
    background.install(factory)
    return Writer(background, factory, clock)


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_isolated_commit_is_sealed_at_once_by_the_thread(bg_writer: Writer) -> None:
    """A commit after a quiet spell is sealed by the thread without waiting for the interval."""
    event = bg_writer.one()
    sealer = _sealer(bg_writer.audit)
    assert sealer.wait_idle(WAIT)  # nobody flushed: the thread wrote it
    [checkpoint] = _checkpoints(bg_writer.audit)
    assert (checkpoint.seq, checkpoint.hash) == (event.seq, event.hash)
    assert checkpoint.signature_valid(bg_writer.audit.signer.public_key)
    assert sealer.running
    assert bg_writer.audit.flush()


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_flush_seals_a_commit_at_once(bg_writer: Writer) -> None:
    """flush() returns once everything committed is sealed; the file covers the last event."""
    events = bg_writer.many(3)
    assert bg_writer.audit.flush()
    assert max(c.seq for c in _checkpoints(bg_writer.audit)) == events[-1].seq
    assert bg_writer.audit.last_checkpoint is not None
    assert bg_writer.audit.last_checkpoint.hash == events[-1].hash


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_a_burst_of_commits_shares_few_checkpoints(bg_writer: Writer, engine: Engine) -> None:
    """Thirty commits within one interval: at most two lines, the last covering event 30."""
    events = bg_writer.many(30)
    assert bg_writer.audit.flush()
    checkpoints = _checkpoints(bg_writer.audit)
    assert len(checkpoints) <= 2  # the first commit's, at once, and the flush's
    assert (checkpoints[-1].seq, checkpoints[-1].hash) == (30, events[-1].hash)
    report = bg_writer.audit.verify(engine)
    assert report.ok, report.findings
    assert (report.sealed_seq, report.unsealed_tail) == (30, 0)


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_committed_but_unsealed_events_are_an_unsealed_tail(
    bg_writer: Writer, engine: Engine
) -> None:
    """Events waiting for the interval verify as an unsealed tail, not a break; flush seals them."""
    audit = bg_writer.audit
    bg_writer.one()
    assert audit.flush()
    assert _sealer(audit).wait_idle(WAIT)  # the thread has seen the first commit
    bg_writer.many(2)  # within the interval: the thread waits
    report = verify_log(engine, audit.checkpoint_file, audit.trusted_keys)  # no flush
    assert report.ok, report.findings
    assert (report.last_seq, report.sealed_seq, report.unsealed_tail) == (3, 1, 2)
    report = audit.verify(engine)  # flushes first
    assert report.ok, report.findings
    assert (report.sealed_seq, report.unsealed_tail) == (3, 0)


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_close_seals_what_is_pending_and_stops_the_thread(bg_writer: Writer) -> None:
    """close() writes the pending checkpoint and ends the thread; a later commit restarts it."""
    audit = bg_writer.audit
    bg_writer.one()
    assert _sealer(audit).wait_idle(WAIT)
    last = bg_writer.many(2)[-1]  # waiting for the interval
    assert max(c.seq for c in _checkpoints(audit)) < last.seq
    assert audit.close()
    assert max(c.seq for c in _checkpoints(audit)) == last.seq
    assert not _sealer(audit).running
    again = bg_writer.one()
    assert _sealer(audit).running
    assert audit.flush()
    assert max(c.seq for c in _checkpoints(audit)) == again.seq


@pytest.mark.policy("IS-USE-MONITOR")
def test_unwritable_checkpoint_file_is_logged_and_the_thread_carries_on(
    tmp_path: Path,
    clock: ManualClock,
    key_file: Path,
    engine: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failed write is logged (no stack trace); the next commit, with a writable file, seals."""
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    audit = _background(clock, key_file, blocked)  # a directory: every write fails
    factory = sessionmaker(engine, expire_on_commit=False)
    audit.install(factory)
    writer = Writer(audit, factory, clock)
    try:
        writer.one()
        sealer = _sealer(audit)
        assert sealer.wait_idle(WAIT)
        assert "audit checkpoint for event 1 not written" in caplog.text
        assert "Traceback" not in caplog.text
        assert not audit.flush()  # not sealed, and not retried
        assert sealer.running
        thread = sealer._thread
        audit.checkpoint_file = tmp_path / "checkpoints.jsonl"
        second = writer.one()
        assert sealer.wait_idle(WAIT)
        assert sealer._thread is thread  # the same thread wrote it
        [checkpoint] = _checkpoints(audit)
        assert (checkpoint.seq, checkpoint.hash) == (2, second.hash)
        assert audit.verify(engine).ok
    finally:
        audit.close()


def test_an_unexpected_error_does_not_end_the_thread(
    bg_writer: Writer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Any exception while sealing is logged by kind only; the thread lives on."""
    audit = bg_writer.audit

    def broken(seq: int, digest: str) -> Checkpoint:
        msg = f"secret-ish detail {seq} {digest}"
        raise RuntimeError(msg)

    monkeypatch.setattr(audit, "_write", broken)
    bg_writer.one()
    sealer = _sealer(audit)
    assert sealer.wait_idle(WAIT)
    assert "audit sealer: checkpoint not written (RuntimeError)" in caplog.text
    assert "secret-ish" not in caplog.text
    assert sealer.running
    monkeypatch.undo()
    bg_writer.one()
    assert audit.flush()
    assert max(c.seq for c in _checkpoints(audit)) == 2


def test_rolled_back_transactions_wake_nothing(
    background: AuditLog, engine: Engine, tmp_path: Path
) -> None:
    """A rollback writes no checkpoint and starts no thread."""
    factory = sessionmaker(engine)
    background.install(factory)
    session = factory()
    background.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
    session.rollback()
    session.close()
    assert background.flush()
    assert not _sealer(background).running
    assert not (tmp_path / "checkpoints.jsonl").exists()


def test_flush_gives_up_after_its_timeout_while_a_write_is_stuck(bg_writer: Writer) -> None:
    """flush(timeout) returns False while the write lock is held, True once it is free."""
    audit = bg_writer.audit
    audit._write_lock.acquire()  # as if a checkpoint write were stuck in fsync
    try:
        bg_writer.one()
        assert not audit.flush(timeout=0.01)
    finally:
        audit._write_lock.release()
    assert audit.flush()
    assert [c.seq for c in _checkpoints(audit)] == [1]


def test_an_idle_thread_ends_and_the_next_commit_starts_another(
    bg_writer: Writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After IDLE_EXIT_S without work the thread ends; the next commit is sealed by a new one."""
    monkeypatch.setattr(sealer_module, "IDLE_EXIT_S", 0.01)
    bg_writer.one()
    sealer = _sealer(bg_writer.audit)
    first = sealer._thread
    assert first is not None
    first.join(WAIT)
    assert not first.is_alive()
    assert not sealer.running
    event = bg_writer.one()
    assert sealer._thread is not first
    assert bg_writer.audit.flush()
    assert max(c.seq for c in _checkpoints(bg_writer.audit)) == event.seq


def test_a_changed_pid_without_fork_hooks_starts_a_new_thread(bg_writer: Writer) -> None:
    """If the process id changed unseen (a fork outside Python), the next commit starts afresh."""
    bg_writer.one()
    sealer = _sealer(bg_writer.audit)
    assert sealer.wait_idle(WAIT)
    old = sealer._thread
    sealer._pid = -1  # what a child forked without the hooks would see
    event = bg_writer.one()
    assert sealer._thread is not old
    assert sealer.wait_idle(WAIT)
    assert bg_writer.audit.last_checkpoint is not None
    assert bg_writer.audit.last_checkpoint.seq == event.seq
    # (the replaced thread ends by itself when its wait times out: it is no longer current)


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_interpreter_exit_seals_what_is_pending(bg_writer: Writer) -> None:
    """The atexit hook closes every live sealer, writing the checkpoint still waiting."""
    bg_writer.one()
    assert _sealer(bg_writer.audit).wait_idle(WAIT)
    last = bg_writer.many(2)[-1]  # waiting for the interval
    sealer_module._close_all()
    assert max(c.seq for c in _checkpoints(bg_writer.audit)) == last.seq
    assert not _sealer(bg_writer.audit).running


def _child_after_fork(audit: AuditLog, writer: Writer, engine: Engine) -> None:
    """In the forked child: append, let the child's own thread seal it, exit 0 if it did."""
    code = 1
    try:
        engine.dispose(close=False)  # the parent's pooled connections are the parent's
        event = writer.one()
        sealer = _sealer(audit)
        if sealer.wait_idle(WAIT) and sealer.running:  # the child's thread: none was inherited
            sealed = audit.last_checkpoint
            code = 0 if sealed is not None and sealed.seq == event.seq else 1
    finally:
        os._exit(code)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.policy("IS-USE-MONITOR")
def test_a_forked_child_starts_its_own_sealer(bg_writer: Writer, engine: Engine) -> None:
    """A child forked while the parent's sealer held the write lock seals its own commits."""
    audit = bg_writer.audit
    bg_writer.one()
    assert _sealer(audit).wait_idle(WAIT)
    audit._write_lock.acquire()  # as if the parent's thread were writing at the fork
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - the child; coverage is not collected there
            _child_after_fork(audit, bg_writer, engine)
    finally:
        audit._write_lock.release()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert max(c.seq for c in _checkpoints(audit)) == 2
    assert audit.verify(engine).ok


# ---------------------------------------------------------------------- wiring


def test_the_setting_is_read_and_bounded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """KLAREMONT_AUDIT_SEAL_INTERVAL_MS: 250 by default, 0 to 60000, read from the environment."""
    assert Settings(var_dir=tmp_path).audit_seal_interval_ms == 250
    for bad in (-1, 60_001):
        with pytest.raises(ValidationError, match="audit_seal_interval_ms"):
            Settings(var_dir=tmp_path, audit_seal_interval_ms=bad)
    monkeypatch.setenv("KLAREMONT_AUDIT_SEAL_INTERVAL_MS", "0")
    settings = Settings(var_dir=tmp_path)
    assert settings.audit_seal_interval_ms == 0
    assert AuditLog.from_settings(settings, ManualClock())._sealer is None


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_platform_seals_in_the_background_and_verify_passes(platform: Platform) -> None:
    """The platform runs the production default; after flush the CLI's verify reports all sealed."""
    assert _sealer(platform.audit).interval == 0.25
    for action in (StaffAction.AUTH_LOGIN, CardAction.CARD_READ, StaffAction.AUTH_LOGOUT):
        with platform.unit_of_work(actor=ALICE) as uow:
            last = uow.audit(action)
    assert platform.audit.flush()
    report = verify_log(
        platform.engine, platform.audit.checkpoint_file, platform.audit.trusted_keys
    )
    assert report.ok, report.findings
    assert report.sealed_seq == last.seq
    use_platform(platform)
    try:
        result = CliRunner().invoke(audit_cli.app, ["verify"])
    finally:
        use_platform(None)
    assert result.exit_code == 0, result.output
    assert "unsealed" not in result.output


def test_dispose_closes_the_audit_log(settings: Settings, clock: ManualClock) -> None:
    """Platform.dispose() seals what is pending and stops the sealer thread."""
    built = Platform.build(settings, clock=clock)
    with built.unit_of_work(actor=ALICE) as uow:
        event = uow.audit(StaffAction.AUTH_LOGIN)
    built.dispose()
    assert not _sealer(built.audit).running
    assert built.audit.last_checkpoint is not None
    assert built.audit.last_checkpoint.seq == event.seq


def test_sync_sealing_still_needs_no_thread(
    audit: AuditLog, sessions: sessionmaker[Session]
) -> None:
    """With no interval (the constructor's default) commit() seals before it returns."""
    with sessions.begin() as session:
        event = audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
    assert audit._sealer is None
    [checkpoint] = _checkpoints(audit)
    assert checkpoint.seq == event.seq
    assert audit.close()


def test_sealer_refuses_a_non_positive_interval() -> None:
    """Sealing in the committing thread is AuditLog's job, not a zero-interval Sealer's."""
    with pytest.raises(ValueError, match="positive"):
        Sealer(
            lambda: None,
            interval=0,
            behind=lambda: False,
            flush=lambda _t: True,
            after_fork=lambda: None,
        )
