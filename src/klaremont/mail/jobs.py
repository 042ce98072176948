"""Scheduled work of the mail capability (declared in its front door)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.errors import ConfigurationError
from klaremont.mail.config import MailSettings
from klaremont.mail.runner import send_pending
from klaremont.mail.smtp import SmtpTransport

if TYPE_CHECKING:
    from klaremont.platform import Platform


def send_due(platform: Platform) -> str:
    """Deliver what is due in the outbox (every minute); refuses a bad mail configuration."""
    settings = MailSettings()
    problems = settings.problems(production=platform.settings.is_production)
    if problems:
        raise ConfigurationError("refusing to send mail: " + "; ".join(problems))
    report = send_pending(platform, SmtpTransport(settings), settings)
    return f"due {report.due}: sent {report.count('sent')}, failed {report.count('failed')}"
