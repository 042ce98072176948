"""Scan settings, read from the environment with the prefix ``KLAREMONT_SCAN_``."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from klaremont.config import setting


class ScanSettings(BaseSettings):
    """Where the self-scan looks besides the var directory and the databases."""

    model_config = SettingsConfigDict(env_prefix="KLAREMONT_SCAN_", extra="forbid", frozen=True)

    paths: str = setting(
        "",
        fmt="directory or file paths separated by ':'",
        example="/var/log/klaremont:/srv/klaremont/exports",
        description="more places the daily self-scan reads (application logs, exports)",
    )

    def extra_paths(self) -> tuple[str, ...]:
        """The configured paths, in order, without empty entries."""
        return tuple(p.strip() for p in self.paths.split(":") if p.strip())
