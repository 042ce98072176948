"""``--self``: where Klaremont itself keeps data, so a scan can prove no card data rests there.

The var directory holds the embedded database and its write-ahead log, the keystore, the
key files, the audit checkpoints, backups, ledgers and exports; the data store and the
keystore are scanned table by table when they are PostgreSQL (on SQLite they are files in
the var directory already).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from klaremont.detectors.bulk import kinds_of
from klaremont.detectors.kinds import Group, Kind
from klaremont.scan.settings import ScanSettings

if TYPE_CHECKING:
    from klaremont.config import Settings

#: What a self-scan looks for: card data (personal data is in the store by design, encrypted
#: field by field, and the key files hold keys by design).
SELF_KINDS: Final[frozenset[Kind]] = kinds_of([Group.CARDS])
SELF_LABEL: Final = "Klaremont's own data"


def self_targets(settings: Settings) -> tuple[str, ...]:
    """The var directory, the data store and keystore when they are PostgreSQL, and the
    places ``KLAREMONT_SCAN_PATHS`` names (logs, exports) that exist."""
    targets = [str(settings.var_dir)]
    targets += [p for p in ScanSettings().extra_paths() if Path(p).exists()]
    for url in (settings.database_url, settings.keystore_url):
        if url.startswith("postgresql") and url not in targets:
            targets.append(url)
    return tuple(targets)
