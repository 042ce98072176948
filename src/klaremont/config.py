"""Settings, read from the environment (prefix ``KLAREMONT_``) and refused when unsafe.

Development and test run on the embedded defaults under ``var/``. Production refuses to
start with a default or missing secret, a SQLite database, or a plaintext public URL.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from klaremont.errors import ConfigurationError

DEV_SECRET = "dev-only-secret-never-use-in-production"  # noqa: S105 - the known-unsafe default that production refuses


class Environment(StrEnum):
    """Where the platform runs."""

    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


def setting(default: Any = ..., *, fmt: str, example: str, **kwargs: Any) -> Any:
    """A field with the documentation every setting carries: its format and an example
    (shown by ``klaremont settings`` and the README's Settings table)."""
    if "default_factory" in kwargs:
        return Field(json_schema_extra={"format": fmt, "example": example}, **kwargs)
    return Field(default, json_schema_extra={"format": fmt, "example": example}, **kwargs)


def ip_networks(value: list[str]) -> list[str]:
    """Each item must be an IP network (``10.0.0.0/8``) or address (``10.0.0.5``)."""
    for net in value:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError as exc:
            msg = f"{net!r} is not an IP network or address"
            raise ValueError(msg) from exc
    return value


LOOPBACK = ("127.0.0.0/8", "::1/128")
NETWORKS_FORMAT = "JSON list of IP networks or addresses"


class Settings(BaseSettings):
    """Every setting the platform reads. Paths are relative to the working directory."""

    model_config = SettingsConfigDict(env_prefix="KLAREMONT_", extra="forbid", frozen=True)

    environment: Environment = setting(
        Environment.DEVELOPMENT,
        fmt="development, test or production",
        example="production",
        description="production refuses unsafe settings (SQLite, default secret, http)",
    )
    var_dir: Path = setting(
        Path("var"),
        fmt="directory path",
        example="/var/lib/klaremont",
        description="where the embedded databases, keys and audit checkpoints live",
    )
    database_url: str = setting(
        "",
        fmt="SQLAlchemy URL (sqlite:///path or postgresql+psycopg://user@host/db)",
        example="postgresql+psycopg://klaremont@db.internal/klaremont",
        description="the data store; empty means sqlite under the var directory",
    )
    keystore_url: str = setting(
        "",
        fmt="SQLAlchemy URL, apart from the data store",
        example="postgresql+psycopg://klaremont_keys@keys.internal/keystore",
        description="the keystore of wrapped data keys; empty means sqlite under var",
    )
    key_file: Path | None = setting(
        None,
        fmt="file path (JSON, mode 0600)",
        example="/etc/klaremont/keys/kek.json",
        description="key-encryption keys and the blind-index key; default var/keys/kek.json",
    )
    kek: SecretStr | None = setting(
        None,
        fmt="base64 of 32 random bytes (secret)",
        example="(output of: head -c32 /dev/urandom | base64)",
        description="key-encryption key given directly instead of a key file",
    )
    audit_signing_key_file: Path | None = setting(
        None,
        fmt="file path (Ed25519 PKCS#8 PEM, mode 0600)",
        example="/etc/klaremont/keys/audit-signing.key",
        description="signs audit checkpoints; default var/keys/audit-signing.key",
    )
    audit_checkpoint_file: Path | None = setting(
        None,
        fmt="file path (JSON lines, append only)",
        example="/var/lib/klaremont/audit/checkpoints.jsonl",
        description="signed audit checkpoints; default var/audit/checkpoints.jsonl",
    )
    audit_seal_interval_ms: int = setting(
        250,
        ge=0,
        le=60_000,
        fmt="integer milliseconds, 0-60000",
        example="250",
        description=(
            "write audit checkpoints in a background thread, at most one per this many ms "
            "(after a crash, at most this much of the log is an unsealed tail); "
            "0 seals every commit before it returns"
        ),
    )
    secret_key: SecretStr = setting(
        SecretStr(DEV_SECRET),
        fmt="text, at least 32 random characters (secret)",
        example="(output of: openssl rand -base64 48)",
        description="signs sessions and forms; production refuses the default",
    )
    public_url: str = setting(
        "http://127.0.0.1:8000",
        fmt="URL; https:// in production",
        example="https://privacy.klaremont.example",
        description="the address people use (links in mail, HSTS when https)",
    )
    host: str = setting(
        "127.0.0.1",
        fmt="IP address or host name to bind",
        example="127.0.0.1",
        description="where `klaremont serve` listens (keep it behind the reverse proxy)",
    )
    port: int = setting(
        8000, ge=1, le=65535, fmt="integer 1-65535", example="8000", description="listen port"
    )
    policy_file: Path | None = setting(
        None,
        fmt="file path (TOML)",
        example="/etc/klaremont/policy.toml",
        description="override the shipped policy file",
    )
    office_networks: list[str] = setting(
        default_factory=lambda: list(LOOPBACK),
        fmt=NETWORKS_FORMAT,
        example='["127.0.0.0/8", "10.20.0.0/16"]',
        description="client addresses counted as in the office (others are remote: 2FA, TLS)",
    )
    trusted_proxies: list[str] = setting(
        default_factory=lambda: list(LOOPBACK),
        fmt=NETWORKS_FORMAT,
        example='["127.0.0.1", "10.20.0.5"]',
        description=(
            "reverse proxies whose X-Forwarded-For / X-Forwarded-Proto name the client; "
            "[] trusts none"
        ),
    )
    metrics_networks: list[str] = setting(
        default_factory=lambda: list(LOOPBACK),
        fmt=NETWORKS_FORMAT,
        example='["127.0.0.0/8", "10.20.9.0/24"]',
        description="client addresses allowed to scrape /metrics",
    )
    metrics_token: SecretStr | None = setting(
        None,
        fmt="text, at least 32 characters (secret); empty: no token asked",
        example="(output of: openssl rand -hex 32)",
        description="when set, /metrics also needs 'Authorization: Bearer <token>'",
    )
    time_source: str | None = setting(
        None,
        fmt="NTP host name or address",
        example="ntp.ubuntu.com",
        description="NTP host for the clock check",
    )
    log_json: bool = setting(
        default=True,
        fmt="true or false",
        example="true",
        description="one JSON object per log line (false: readable console lines)",
    )
    max_request_kilobytes: int = setting(
        1024,
        ge=16,
        le=65536,
        fmt="integer 16-65536 (KiB)",
        example="1024",
        description="the largest request body accepted (routes that take a file upload, "
        "such as incident evidence, allow their own larger size)",
    )
    storage_region: str = setting(
        "uk-london",
        fmt="region name starting uk-",
        example="uk-london",
        description="where data is stored; production refuses a region outside the UK",
    )

    _networks = field_validator(
        "office_networks", "trusted_proxies", "metrics_networks", mode="after"
    )(ip_networks)

    @field_validator("metrics_token", mode="after")
    @classmethod
    def _long_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:  # noqa: PLR2004 - 128+ bits as hex
            msg = "must be at least 32 characters"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _fill_paths(self) -> Self:
        var = self.var_dir
        defaults = {
            "database_url": f"sqlite:///{var / 'klaremont.db'}",
            "keystore_url": f"sqlite:///{var / 'keystore.db'}",
        }
        for name, value in defaults.items():
            if not getattr(self, name):
                object.__setattr__(self, name, value)
        path_defaults = {
            "key_file": var / "keys" / "kek.json",
            "audit_signing_key_file": var / "keys" / "audit-signing.key",
            "audit_checkpoint_file": var / "audit" / "checkpoints.jsonl",
        }
        for name, path in path_defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, path)
        return self

    @property
    def is_production(self) -> bool:
        """True when running for real."""
        return self.environment is Environment.PRODUCTION

    def production_problems(self) -> list[str]:
        """Return every reason these settings are unsafe for production (empty when safe)."""
        problems: list[str] = []
        secret = self.secret_key.get_secret_value()
        if secret == DEV_SECRET or len(secret) < 32:  # noqa: PLR2004 - 256 bits of base64/hex text
            problems.append(
                "KLAREMONT_SECRET_KEY: a default or missing secret; "
                "set at least 32 random characters"
            )
        problems.extend(
            f"KLAREMONT_{name.upper()}: SQLite is the embedded default; production needs PostgreSQL"
            for name in ("database_url", "keystore_url")
            if str(getattr(self, name)).startswith("sqlite")
        )
        if self.database_url == self.keystore_url:
            problems.append(
                "KLAREMONT_KEYSTORE_URL: the keystore must be apart from the data store"
            )
        if not self.public_url.startswith("https://"):
            problems.append(
                "KLAREMONT_PUBLIC_URL: plaintext HTTP; production must be served over https"
            )
        if not self.storage_region.startswith("uk-"):
            problems.append(
                f"KLAREMONT_STORAGE_REGION: {self.storage_region!r} is outside the UK "
                "(all servers are in the UK, PP-UK)"
            )
        return problems

    def check(self) -> None:
        """Refuse to start with unsafe production settings, naming every reason."""
        if self.is_production:
            problems = self.production_problems()
            if problems:
                raise ConfigurationError(
                    "refusing to start in production:\n  - " + "\n  - ".join(problems)
                )
