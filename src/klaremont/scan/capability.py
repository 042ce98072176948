"""The scan capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from klaremont.capabilities import Capability

CAPABILITY = Capability(
    name="scan",
    summary=(
        "Discovery: card data, secrets and personal data found where they must not be, in "
        "files, logs, SQLite and PostgreSQL databases and Klaremont's own data."
    ),
    cli="klaremont.scan.cli:app",
)
