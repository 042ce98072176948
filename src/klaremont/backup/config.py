"""Backup settings, read from the environment with the prefix ``KLAREMONT_POSTGRES_``."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from klaremont.config import setting


class BackupSettings(BaseSettings):
    """Where the PostgreSQL client tools are (backups on PostgreSQL)."""

    model_config = SettingsConfigDict(env_prefix="KLAREMONT_POSTGRES_", extra="forbid", frozen=True)

    bin_dir: Path | None = setting(
        None,
        fmt="directory path",
        example="/usr/lib/postgresql/15/bin",
        description="the only place pg_dump and pg_restore are looked for "
        "(unset: PATH, then /usr/lib/postgresql/*/bin, newest first)",
    )
