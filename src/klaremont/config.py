"""Settings, read from the environment (prefix ``KLAREMONT_``) and refused when unsafe.

Development and test run on the embedded defaults under ``var/``. Production refuses to
start with a default or missing secret, a SQLite database, or a plaintext public URL.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from klaremont.errors import ConfigurationError

DEV_SECRET = "dev-only-secret-never-use-in-production"  # noqa: S105 - the known-unsafe default that production refuses


class Environment(StrEnum):
    """Where the platform runs."""

    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every setting the platform reads. Paths are relative to the working directory."""

    model_config = SettingsConfigDict(env_prefix="KLAREMONT_", extra="forbid", frozen=True)

    environment: Environment = Environment.DEVELOPMENT
    var_dir: Path = Path("var")
    database_url: str = ""
    keystore_url: str = ""
    key_file: Path | None = Field(
        default=None, description="key-encryption keys and the blind-index key (JSON, mode 0600)"
    )
    kek: SecretStr | None = Field(
        default=None,
        description="base64 key-encryption key given directly instead of a key file",
    )
    audit_signing_key_file: Path | None = None
    audit_checkpoint_file: Path | None = None
    audit_seal_interval_ms: int = Field(
        default=250,
        ge=0,
        le=60_000,
        description=(
            "write audit checkpoints in a background thread, at most one per this many ms "
            "(after a crash, at most this much of the log is an unsealed tail); "
            "0 seals every commit before it returns"
        ),
    )
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    policy_file: Path | None = Field(default=None, description="override the shipped policy file")
    office_networks: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    time_source: str | None = Field(default=None, description="NTP host for the clock check")
    log_json: bool = True
    storage_region: str = "uk-london"

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
        for net in self.office_networks:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError as exc:
                msg = f"office_networks: {net!r} is not an IP network ({exc})"
                raise ValueError(msg) from exc
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
