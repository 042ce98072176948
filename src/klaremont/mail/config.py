"""Mail settings, read from the environment with the prefix ``KLAREMONT_MAIL_``.

The embedded default queues mail in the outbox table and delivers to an SMTP server on
the loopback interface (for development, any local catcher such as ``aiosmtpd``).
Production refuses to send credentials or personal mail over a link without STARTTLS.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from klaremont.config import setting


class MailSettings(BaseSettings):
    """How to reach the SMTP server and how hard to retry."""

    model_config = SettingsConfigDict(env_prefix="KLAREMONT_MAIL_", extra="forbid", frozen=True)

    host: str = setting(
        "127.0.0.1",
        fmt="host name or IP address",
        example="smtp.klaremont.example",
        description="the SMTP server mail is delivered to",
    )
    port: int = setting(
        1025, ge=1, le=65535, fmt="integer 1-65535", example="587", description="SMTP port"
    )
    starttls: bool = setting(
        default=False,
        fmt="true or false",
        example="true",
        description="upgrade the SMTP link with STARTTLS (required off the loopback in production)",
    )
    ca_file: Path | None = setting(
        None,
        fmt="file path (PEM)",
        example="/etc/ssl/certs/ca-certificates.crt",
        description="CA bundle trusted for STARTTLS",
    )
    username: str | None = setting(
        None, fmt="text", example="klaremont", description="SMTP login (needs STARTTLS)"
    )
    password: SecretStr | None = setting(
        None, fmt="text (secret)", example="(from the mail provider)", description="SMTP password"
    )
    sender: str = setting(
        "Klaremont Privacy <privacy@klaremont.example>",
        fmt="From address (Name <address>)",
        example="Klaremont Privacy <privacy@klaremont.co.uk>",
        description="the From of every message",
    )
    timeout_seconds: float = setting(
        10.0,
        gt=0,
        le=120,
        fmt="seconds, over 0 up to 120",
        example="10",
        description="give up on an SMTP exchange after this long",
    )
    max_attempts: int = setting(
        6,
        ge=1,
        le=50,
        fmt="integer 1-50",
        example="6",
        description="delivery attempts before a message is marked failed",
    )
    backoff_seconds: int = setting(
        60,
        ge=1,
        fmt="integer seconds, at least 1",
        example="60",
        description="wait before the first retry (doubles each attempt)",
    )
    backoff_max_seconds: int = setting(
        6 * 3600,
        ge=1,
        fmt="integer seconds, at least 1",
        example="21600",
        description="longest wait between retries",
    )
    batch_size: int = setting(
        200,
        ge=1,
        le=10_000,
        fmt="integer 1-10000",
        example="200",
        description="messages sent per outbox run",
    )

    @property
    def loopback(self) -> bool:
        """True when the SMTP server is on this machine."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def problems(self, *, production: bool) -> list[str]:
        """Every reason these settings are unsafe (empty when safe)."""
        found: list[str] = []
        if self.username and not self.starttls and not self.loopback:
            found.append(
                "KLAREMONT_MAIL_STARTTLS: credentials would cross the network in clear text"
            )
        if production and not self.starttls and not self.loopback:
            found.append(
                "KLAREMONT_MAIL_STARTTLS: production mail to a remote server must use STARTTLS"
            )
        return found
