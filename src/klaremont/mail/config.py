"""Mail settings, read from the environment with the prefix ``KLAREMONT_MAIL_``.

The embedded default queues mail in the outbox table and delivers to an SMTP server on
the loopback interface (for development, any local catcher such as ``aiosmtpd``).
Production refuses to send credentials or personal mail over a link without STARTTLS.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class MailSettings(BaseSettings):
    """How to reach the SMTP server and how hard to retry."""

    model_config = SettingsConfigDict(env_prefix="KLAREMONT_MAIL_", extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=1025, ge=1, le=65535)
    starttls: bool = False
    ca_file: Path | None = Field(default=None, description="CA bundle trusted for STARTTLS")
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "Klaremont Privacy <privacy@klaremont.example>"
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    max_attempts: int = Field(default=6, ge=1, le=50)
    backoff_seconds: int = Field(default=60, ge=1)
    backoff_max_seconds: int = Field(default=6 * 3600, ge=1)
    batch_size: int = Field(default=200, ge=1, le=10_000)

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
