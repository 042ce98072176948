"""Evidence settings, read from the environment with the prefix ``KLAREMONT_EVIDENCE_``.

Evidence files are kept encrypted under the var directory (``<var>/evidence``) unless a
directory is named; each is refused above the size limit, whichever way it arrives.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from klaremont.config import Settings, setting

MEBIBYTE = 1 << 20


class EvidenceSettings(BaseSettings):
    """Where incident evidence is kept and how large one file may be."""

    model_config = SettingsConfigDict(env_prefix="KLAREMONT_EVIDENCE_", extra="forbid", frozen=True)

    dir: Path | None = setting(
        None,
        fmt="directory path",
        example="/var/lib/klaremont/evidence",
        description="where incident evidence files are kept, encrypted "
        "(back it up with the databases); default the evidence folder of the var directory",
    )
    max_megabytes: int = setting(
        25,
        ge=1,
        le=2048,
        fmt="integer 1-2048 (MiB)",
        example="25",
        description="the largest evidence file accepted, by the console, the API or the "
        "command line (a web upload is held in memory while it is checked)",
    )

    def directory(self, platform_settings: Settings) -> Path:
        """The evidence directory for this installation."""
        return self.dir if self.dir is not None else platform_settings.var_dir / "evidence"

    @property
    def max_bytes(self) -> int:
        """The size limit in bytes."""
        return self.max_megabytes * MEBIBYTE


#: Room for the form around the file (boundaries, the reason, the token).
FORM_ROOM = MEBIBYTE


def upload_limits(settings: Settings) -> list[tuple[str, str, int]]:
    """The evidence upload routes and their size (the ``upload_limits`` point)."""
    del settings  # the evidence settings are read from their own variables
    size = EvidenceSettings().max_bytes + FORM_ROOM
    return [
        ("POST", r"^/api/incidents/[^/]+/evidence/?$", size),
        ("POST", r"^/staff/incidents/[^/]+/evidence/?$", size),
    ]
