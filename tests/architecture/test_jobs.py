"""The scheduled jobs the capabilities declare resolve and run against a real platform."""

from __future__ import annotations

import pytest

from klaremont import capabilities
from klaremont.errors import ConfigurationError


def test_declared_jobs_have_unique_names_and_resolve():
    declared = capabilities.jobs()
    names = [job.name for _, job in declared]
    assert len(names) == len(set(names))
    assert {
        "dsr-due-alert",
        "shred-due",
        "inactivity-sweep",
        "prune-throttle",
        "send-pending",
    } <= set(names)
    for _, job in declared:
        assert callable(capabilities.resolve(job.target)), job.target
        assert job.every.total_seconds() > 0


def test_the_mail_job_refuses_a_bad_configuration(platform, monkeypatch):
    """Credentials to a remote server without STARTTLS are refused, naming the setting."""
    monkeypatch.setenv("KLAREMONT_MAIL_HOST", "mail.example.com")
    monkeypatch.setenv("KLAREMONT_MAIL_USERNAME", "shop")
    send = capabilities.resolve("klaremont.mail.jobs:send_due")
    with pytest.raises(ConfigurationError, match="KLAREMONT_MAIL_STARTTLS"):
        send(platform)


def test_declared_jobs_run(platform):
    """Each job runs and says what it did in one line."""
    for _, job in capabilities.jobs():
        summary = capabilities.resolve(job.target)(platform)
        assert isinstance(summary, str)
        assert summary, job.name
        assert "\n" not in summary
