"""``klaremont rights``: create, verify, fulfil, refuse, extend, due, export from the shell
(DP-DPO, DP-PROMPT, PP-R-ACCESS, PP-R-ERASE)."""

from __future__ import annotations

import json
import re
import stat
from datetime import timedelta

import pytest
from rights_support import TEST_ACTOR, latest_code
from sqlalchemy import select
from typer.testing import CliRunner

from klaremont.audit.models import AuditEvent
from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.customers.models import Customer
from klaremont.rights import service
from klaremont.rights.identity import VerificationFailed


@pytest.fixture
def run(platform):
    """Invoke ``klaremont ...`` against the test platform."""
    use_platform(platform)
    runner = CliRunner()
    yield lambda *args: runner.invoke(main.app, list(args))
    use_platform(None)


def _reference(result):
    found = re.search(r"DSR-[A-Z0-9]{8}", result.output)
    assert found, result.output
    return found.group(0)


@pytest.mark.policy("PP-R-ACCESS", "DP-DPO")
def test_create_verify_fulfil_export(platform, run, alice, bob, tmp_path):
    """A phone request taken at the shell, verified by its code, fulfilled and written to a file."""
    created = run("rights", "create", alice.reference, "access", "--channel", "phone")
    assert created.exit_code == 0, created.output
    reference = _reference(created)
    assert alice.email not in created.output
    wrong = run("rights", "verify", reference, "--code", "00000000")
    assert isinstance(wrong.exception, VerificationFailed)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        failed = uow.session.scalars(
            select(AuditEvent).where(
                AuditEvent.outcome == "failure", AuditEvent.action == "dsr.verify"
            )
        ).all()
        assert len(failed) == 1  # committed although the command failed
    ok = run("rights", "verify", reference, "--code", latest_code(platform, alice.subject_id))
    assert ok.exit_code == 0, ok.output
    done = run("rights", "fulfil", reference)
    assert done.exit_code == 0, done.output
    assert "fulfilled" in done.output
    target = tmp_path / "copy.json"
    written = run("rights", "export", reference, str(target), "--format", "json")
    assert written.exit_code == 0, written.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    document = json.loads(target.read_text())
    assert document["data"]["customers"]["rows"][0]["email"] == alice.email
    assert bob.email not in target.read_text()
    listed = run("rights", "list", "--state", "fulfilled")
    assert reference in listed.output


@pytest.mark.policy("DP-PROMPT", "DP-DPO")
def test_due_extend_and_refuse(platform, clock, run, alice, bob):
    """The DPO's due list at the shell; an extension with its reason; a refusal."""
    pending = _reference(run("rights", "create", alice.reference, "erasure", "--channel", "letter"))
    run("rights", "verify", pending, "--code", latest_code(platform, alice.subject_id))
    other = _reference(run("rights", "create", bob.reference, "restriction", "--channel", "phone"))
    run("rights", "verify", other, "--code", latest_code(platform, bob.subject_id))
    extended = run("rights", "extend", other, "1", "complex restriction across accounts")
    assert extended.exit_code == 0, extended.output
    clock.advance(timedelta(days=27))
    listing = run("rights", "due", "--within", "7", "--alert")
    assert listing.exit_code == 0, listing.output
    assert pending in listing.output
    assert other not in listing.output  # extended: not due for another month
    assert "0 overdue, 1 due soon" in listing.output
    refused = run("rights", "refuse", other, "withdrawn by the customer")
    assert refused.exit_code == 0
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert service.find(uow, other).state.value == "refused"


@pytest.mark.policy("PP-R-ERASE")
def test_fulfil_erases_and_duplicates_are_kept_on_record(platform, run, alice):
    """Fulfilling an erasure at the shell erases; a duplicate request is refused and audited."""
    reference = _reference(
        run("rights", "create", alice.reference, "erasure", "--channel", "phone")
    )
    duplicate = run("rights", "create", alice.reference, "erasure", "--channel", "phone")
    assert isinstance(duplicate.exception, service.DuplicateRequest)
    run("rights", "verify", reference, "--code", latest_code(platform, alice.subject_id))
    erased = run("rights", "fulfil", reference)
    assert erased.exit_code == 0, erased.output
    assert '"invoices": 2' in erased.output
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.get(Customer, alice.customer_id) is None
        denied = uow.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
        assert any("duplicate-refused" in e.details for e in denied)
    shredded = run("rights", "shred-due")
    assert "data keys destroyed: 0" in shredded.output
