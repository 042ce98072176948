"""Sanitise settings, read from the environment with the prefix ``KLAREMONT_SANITIZE_``."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from klaremont.config import setting


class SanitizeSettings(BaseSettings):
    """The run key of sanitised copies (when not given as a file) and how many processes work."""

    model_config = SettingsConfigDict(env_prefix="KLAREMONT_SANITIZE_", extra="forbid", frozen=True)

    key: SecretStr | None = setting(
        None,
        fmt="base64 secret",
        example="(32 random bytes in base64)",
        description="the run key of sanitised development copies (never written to a copy)",
    )
    jobs: int | None = setting(
        None,
        fmt="integer >= 1",
        example="2",
        description="processes that transform a large table (default: one per core; 1: none)",
        ge=1,
    )
