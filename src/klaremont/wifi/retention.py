"""The wireless capability's retention target: guest codes and the devices they admitted
go ``retention.wifi_credentials.period`` after the code's absolute expiry."""

from __future__ import annotations

from klaremont.policy.model import DataCategory
from klaremont.retention_targets import Target
from klaremont.wifi.models import GuestCode, GuestDevice


def targets() -> tuple[Target, ...]:
    """Expired guest codes (nobody's: a code names no person)."""
    return (
        Target(
            "wifi.guest_codes",
            DataCategory.WIFI_CREDENTIALS,
            GuestCode.__table__,  # type: ignore[arg-type]
            {"code_expired": lambda table: table.c.expires_at},
            "guest wireless codes and the devices they admitted",
            subject=None,
            children=(GuestDevice.__table__.c.code_id,),
        ),
    )
