"""Accounting (RFC 2866): start, interim update and stop, kept as ``wifi_sessions`` rows.

A session is keyed by its access point and ``Acct-Session-Id``. An interim update or a stop
for a start that never arrived (lost on the way) opens the row from what it carries. The
closing-time job reads the open rows to send Disconnect-Requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from klaremont.wifi.codes import normalise_mac
from klaremont.wifi.models import WifiSession

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

START, STOP, INTERIM = 1, 2, 3
ACCOUNTING_ON, ACCOUNTING_OFF = 7, 8
GIGAWORD = 1 << 32


@dataclass(frozen=True, slots=True)
class Report:
    """One Accounting-Request as the access point sent it."""

    access_point: str
    status: int
    session_id: str | None
    user_name: str | None
    calling_station: str | None
    framed_ip: str | None
    input_octets: int = 0
    output_octets: int = 0
    terminate_cause: str | None = None
    nas_address: str | None = None


def record(uow: UnitOfWork, report: Report) -> str:
    """Apply one report; returns what was done (``started``, ``updated``, ``stopped``...)."""
    now = uow.clock.now()
    if report.status in (ACCOUNTING_ON, ACCOUNTING_OFF):
        return _close_all(uow, report.access_point)
    if not report.session_id or report.status not in (START, STOP, INTERIM):
        return "ignored"
    row = _find(uow, report)
    if row is None:
        row = WifiSession(
            access_point=report.access_point,
            acct_session_id=report.session_id[:64],
            started_at=now,
            updated_at=now,
            input_octets=0,
            output_octets=0,
        )
        try:
            with uow.session.begin_nested():
                uow.session.add(row)
                uow.session.flush()
        except IntegrityError:
            found = _find(uow, report)  # another server took the start first
            if found is None:  # pragma: no cover - the unique key says it exists
                raise
            row = found
    row.user_name = (report.user_name or row.user_name or "")[:64] or None
    row.mac = normalise_mac(report.calling_station or "") or row.mac
    row.framed_ip = report.framed_ip or row.framed_ip
    row.nas_address = report.nas_address or row.nas_address
    row.updated_at = now
    row.input_octets = max(row.input_octets or 0, report.input_octets)
    row.output_octets = max(row.output_octets or 0, report.output_octets)
    if report.status == STOP:
        row.stopped_at = row.stopped_at or now
        row.stop_cause = (report.terminate_cause or "")[:32] or None
        uow.session.flush()
        return "stopped"
    uow.session.flush()
    return "started" if report.status == START else "updated"


def _find(uow: UnitOfWork, report: Report) -> WifiSession | None:
    return uow.session.scalars(
        select(WifiSession).where(
            WifiSession.access_point == report.access_point,
            WifiSession.acct_session_id == (report.session_id or "")[:64],
        )
    ).first()


def _close_all(uow: UnitOfWork, access_point: str) -> str:
    """Accounting-On/Off: the access point restarted, so none of its sessions is live."""
    rows = uow.session.scalars(
        select(WifiSession).where(
            WifiSession.access_point == access_point, WifiSession.stopped_at.is_(None)
        )
    )
    count = 0
    for row in rows:
        row.stopped_at = uow.clock.now()
        row.stop_cause = "NAS-Reboot"
        count += 1
    uow.session.flush()
    return f"closed {count}"


def open_sessions(uow: UnitOfWork) -> list[WifiSession]:
    """Every session accounting still shows as open."""
    return list(
        uow.session.scalars(
            select(WifiSession)
            .where(WifiSession.stopped_at.is_(None))
            .order_by(WifiSession.started_at)
        )
    )
