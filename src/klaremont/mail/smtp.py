"""The SMTP sender (smtplib): one connection per message, STARTTLS when configured.

Failures are sorted into transient (4xx replies, refused or dropped connections,
timeouts: try again later) and permanent (5xx replies: give up). The error summary
names an exception class or an SMTP reply code only, never the server's text.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from klaremont.mail.config import MailSettings

PERMANENT_FROM = 500


class DeliveryError(Exception):
    """Sending failed; ``summary`` is safe to store (no personal data)."""

    def __init__(self, summary: str, *, permanent: bool) -> None:
        super().__init__(summary)
        self.summary = summary
        self.permanent = permanent


class Transport(Protocol):
    """Something that hands one message to a mail server."""

    def send(self, *, to: str, subject: str, body: str) -> None:
        """Deliver or raise :class:`DeliveryError`."""
        ...


class SmtpTransport:
    """Delivery through the SMTP server named in :class:`MailSettings`."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    def build(self, *, to: str, subject: str, body: str) -> EmailMessage:
        """The RFC 5322 message."""
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain="klaremont.example")
        message.set_content(body)
        return message

    def send(self, *, to: str, subject: str, body: str) -> None:
        """Deliver one message; raises :class:`DeliveryError` on any failure."""
        cfg = self.settings
        message = self.build(to=to, subject=subject, body=body)
        try:
            with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds) as smtp:
                if cfg.starttls:
                    cafile = str(cfg.ca_file) if cfg.ca_file else None
                    smtp.starttls(context=ssl.create_default_context(cafile=cafile))
                if cfg.username and cfg.password is not None:
                    smtp.login(cfg.username, cfg.password.get_secret_value())
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _text in exc.recipients.values()})
            code = codes[-1] if codes else 550
            raise DeliveryError(
                f"SMTP {code} recipient refused", permanent=_permanent(code)
            ) from None
        except smtplib.SMTPResponseException as exc:
            code = int(exc.smtp_code)
            raise DeliveryError(
                f"SMTP {code} {type(exc).__name__}", permanent=_permanent(code)
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(type(exc).__name__, permanent=False) from None


def _permanent(code: int) -> bool:
    return code >= PERMANENT_FROM
