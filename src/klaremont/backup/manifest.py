"""What a backup is: its manifest (no key, no personal data), inside the file and beside it.

The authoritative manifest is the encrypted file's last chunk (it cannot be edited without
the key); a copy is written beside the file as ``<file>.manifest.json`` with the encrypted
file's own size and SHA-256 added, so ``backup list`` can show backups without any key.
Format 1 manifests (plain SQLite copies made before backups were encrypted) still load.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from klaremont.backup.archive import BackupInvalid

if TYPE_CHECKING:
    from pathlib import Path

MANIFEST_SUFFIX = ".manifest.json"
SUFFIX = ".kbak"


@dataclass(frozen=True)
class Manifest:
    """Schema heads, times, sizes, SHA-256s, ledger position and audit head; never a key."""

    file: str
    created_at: str
    sha256: str  # of the file as stored (empty inside the file itself)
    size: int
    schema_revision: str | None
    database: str = "sqlite"
    keystore_included: bool = False
    format: int = 1
    backup_id: str = ""
    keystore_revision: str | None = None
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)
    ledger_entries: int | None = None
    audit_head_seq: int | None = None
    audit_head_hash_b64: str | None = None
    checkpoints_included: bool = False
    tool: str = ""

    @property
    def encrypted(self) -> bool:
        """True for backups sealed under their own key (format 2 on)."""
        return self.format >= 2  # noqa: PLR2004 - format 1 was the plain copy

    def to_json(self) -> str:
        """The manifest's text."""
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    def sealed(self) -> Manifest:
        """The copy kept inside the file (which cannot know its own digest)."""
        return replace(self, sha256="", size=0)

    @classmethod
    def parse(cls, raw: str | bytes, name: str) -> Manifest:
        """Read a manifest's text; a clear error when it is not one."""
        try:
            data = json.loads(raw)
            return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        except (ValueError, TypeError):
            raise BackupInvalid(f"{name}: its manifest is damaged") from None

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """Read a manifest file."""
        return cls.parse(path.read_text(), path.name)


def manifest_path(path: Path) -> Path:
    """The manifest beside a backup file."""
    return path.with_name(path.name + MANIFEST_SUFFIX)
