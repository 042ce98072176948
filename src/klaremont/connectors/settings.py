"""Where the external stores are declared: ``KLAREMONT_DATASETS_FILE`` (a TOML file, or a
folder of ``*.toml``, one per store); unset, the ``datasets`` folder of the var directory."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from klaremont.config import Settings, setting


class DatasetSettings(BaseSettings):
    """The declarations of the external stores the rights reach."""

    model_config = SettingsConfigDict(env_prefix="KLAREMONT_DATASETS_", extra="forbid", frozen=True)

    file: Path | None = setting(
        None,
        fmt="file or directory path (TOML, one file per store)",
        example="/etc/klaremont/datasets",
        description="external stores access and erasure requests reach (tables, identity "
        "columns, categories); default the datasets folder of the var directory",
    )

    def path(self, platform_settings: Settings) -> Path:
        """The declarations' file or folder for this installation."""
        return self.file if self.file is not None else platform_settings.var_dir / "datasets"
