"""``klaremont consent`` and ``klaremont mail``: notices, history, audience, sending the outbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from consent_support import TEST_ACTOR, make_subject
from typer.testing import CliRunner

from klaremont.cli.context import use_platform
from klaremont.consent import cli as consent_cli
from klaremont.consent import service as consent
from klaremont.consent.models import ConsentMethod, ConsentSource
from klaremont.mail import cli as mail_cli
from klaremont.mail.service import enqueue
from klaremont.mail.templates import RequestUpdated
from klaremont.platform import Platform
from klaremont.policy.purposes import MarketingChannel

runner = CliRunner()
WEB = consent.Proof(ConsentMethod.WEB_FORM, ConsentSource.PRIVACY_CENTRE)


@pytest.fixture
def cli(platform: Platform) -> Iterator[Platform]:
    """Make CLI commands use this test's platform."""
    use_platform(platform)
    yield platform
    use_platform(None)


@pytest.mark.policy("IS-SENS-CONSENT")
def test_notice_publish_and_list(cli, tmp_path):
    """A notice published from a file gets version 1 and its hash; the list shows it."""
    text = tmp_path / "notice.txt"
    text.write_text("Our new privacy notice.\n", encoding="utf-8")
    result = runner.invoke(consent_cli.app, ["notice", "publish", str(text)])
    assert result.exit_code == 0, result.output
    assert "published privacy version 1 sha256" in result.output
    listed = runner.invoke(consent_cli.app, ["notice", "list"])
    assert "privacy" in listed.output
    assert "cli:" in listed.output


@pytest.mark.policy("PP-OPTOUT", "IS-SENS-CONSENT")
def test_history_and_audience(cli):
    """History shows each record with its notice version; the audience counts honour withdrawal."""
    keen, quitter = make_subject(cli), make_subject(cli)
    with cli.unit_of_work(actor=TEST_ACTOR) as uow:
        for subject_id in (keen, quitter):
            consent.set_marketing(uow, subject_id, MarketingChannel.EMAIL, granted=True, proof=WEB)
        consent.withdraw_marketing(uow, quitter, WEB)
    history = runner.invoke(consent_cli.app, ["history", str(quitter)])
    assert history.exit_code == 0, history.output
    assert "marketing now: email=no" in history.output
    assert history.output.count(" v1 ") == 2
    audience = runner.invoke(consent_cli.app, ["audience", "--channel", "email"])
    assert audience.exit_code == 0, audience.output
    row = next(line for line in audience.output.splitlines() if "email" in line)
    assert row.split()[-2] == "1"
    bad = runner.invoke(consent_cli.app, ["history", "not-a-uuid"])
    assert bad.exit_code != 0


@pytest.mark.policy("IS-SENS-EMAIL")
def test_send_pending_reports_progress_and_counts(cli, monkeypatch):
    """``mail send-pending`` sends through the configured SMTP server and prints the counts."""
    from klaremont.testing.smtp import smtp_server  # noqa: PLC0415 - aiosmtpd loads only here

    subject_id = make_subject(cli)
    with cli.unit_of_work(actor=TEST_ACTOR) as uow:
        enqueue(
            uow,
            subject_id=subject_id,
            to_address="ada@example.com",
            mail=RequestUpdated(reference="DSR-ABCD2345"),
        )
    with smtp_server() as (catcher, mail):
        received = catcher.raw
        monkeypatch.setenv("KLAREMONT_MAIL_HOST", "127.0.0.1")
        monkeypatch.setenv("KLAREMONT_MAIL_PORT", str(mail.port))
        result = runner.invoke(mail_cli.app, ["send-pending"])
    assert result.exit_code == 0, result.output
    assert "due 1: sent 1" in result.output
    assert len(received) == 1
    status = runner.invoke(mail_cli.app, ["status"])
    assert "sent" in status.output
