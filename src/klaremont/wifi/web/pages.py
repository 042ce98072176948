"""The wireless pages of the staff console: guest codes (issue one or a batch, print the
slips, revoke) and staff devices (your own, and technical operations' approvals)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from klaremont.errors import KlaremontError, ValidationFailed
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.web.form_pages import FormRetry, PageStaff, form_page
from klaremont.web.render import render
from klaremont.wifi import hours, service_devices, service_guest, slips
from klaremont.wifi.models import DeviceStatus
from klaremont.wifi.permissions import WifiPermission
from klaremont.wifi.settings import WifiSettings

router = APIRouter(prefix="/staff/wifi", include_in_schema=False)

ManagePage = Annotated[StaffPrincipal, Depends(require(WifiPermission.WIFI_MANAGE, page=True))]
DevicesPage = Annotated[StaffPrincipal, Depends(require(WifiPermission.WIFI_DEVICES, page=True))]
ISSUE_LABELS = {"count": "How many codes"}
REVOKE_LABELS = {"code_id": "Code"}
DEVICE_LABELS = {"mac": "Device address (MAC)", "label": "What the device is"}
DECIDE_LABELS = {"device_id": "Device"}
DONE = {
    "revoked": "The code was revoked: it no longer works.",
    "registered": "Registered. Technical operations will approve it; you will then connect.",
    "approved": "Approved: the device can now connect to the staff network.",
    "removed": "Removed: the device no longer connects, and any live session was ended.",
}


def _said(exc: KlaremontError, labels: dict[str, str]) -> str:
    if exc.problems and isinstance(exc, ValidationFailed):
        return "; ".join(f"{labels.get(p.field) or p.field}: {p.rule}" for p in exc.problems)
    return exc.detail


def _codes_page(
    staff: StaffPrincipal | PageStaff | None,
    rows: list[service_guest.CodeRow],
    now: object,
    policy: object,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        "staff/wifi_codes.html",
        status_code=status_code,
        staff=staff,
        rows=rows,
        now=now,
        wifi=policy,
        opening=hours.describe(policy),  # type: ignore[arg-type]
        max_batch=service_guest.MAX_BATCH,
        notice=notice,
        error=error,
    )


@router.get("")
def codes_page(staff: ManagePage, uow: UowDep, done: str = "") -> HTMLResponse:
    """Issue guest codes and see the newest ones."""
    rows = service_guest.recent(uow, limit=50)
    return _codes_page(staff, rows, uow.clock.now(), uow.policy.wifi, notice=DONE.get(done))


def _codes_again(retry: FormRetry) -> HTMLResponse:
    def read(uow: object) -> HTMLResponse:
        rows = service_guest.recent(uow, limit=50)  # type: ignore[arg-type]
        return _codes_page(
            retry.staff,
            rows,
            retry.platform.clock.now(),
            retry.platform.policy.wifi,
            error="; ".join(retry.errors),
            status_code=422,
        )

    return retry.read(read)


@router.post("/codes")
@form_page(_codes_again, ISSUE_LABELS)
def issue_codes(
    staff: ManagePage, uow: UowDep, count: Annotated[int, Form(ge=1, le=200)]
) -> HTMLResponse:
    """Issue one code or a batch; the printable slips are this page, shown once."""
    try:
        issued = service_guest.issue(uow, count=count, by=staff.username)
    except KlaremontError as exc:
        uow.session.rollback()
        rows = service_guest.recent(uow, limit=50)
        return _codes_page(
            staff,
            rows,
            uow.clock.now(),
            uow.policy.wifi,
            error=_said(exc, ISSUE_LABELS),
            status_code=exc.status,
        )
    finish(uow)
    ssid = WifiSettings().guest_ssid
    made = slips.slips(issued, ssid)
    return render(
        "staff/wifi_slips.html",
        staff=staff,
        slips=made,
        qr=Markup(made[0].qr_svg),  # noqa: S704 - segno's own SVG, no user text in it
        ssid=ssid,
        opening=hours.describe(uow.policy.wifi),
    )


@router.post("/codes/revoke")
@form_page(_codes_again, REVOKE_LABELS)
def revoke_code(staff: ManagePage, uow: UowDep, code_id: Annotated[uuid.UUID, Form()]) -> Response:
    """Revoke one code from the list."""
    try:
        service_guest.revoke(uow, by=staff.username, code_id=code_id)
    except KlaremontError as exc:
        uow.session.rollback()
        rows = service_guest.recent(uow, limit=50)
        return _codes_page(
            staff, rows, uow.clock.now(), uow.policy.wifi, error=exc.detail, status_code=exc.status
        )
    finish(uow)
    return RedirectResponse("/staff/wifi?done=revoked", status_code=303)


def _devices_page(
    staff: StaffPrincipal | PageStaff | None,
    mine: list[service_devices.DeviceRow],
    everyone: list[service_devices.DeviceRow] | None,
    limit: int,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        "staff/wifi_devices.html",
        status_code=status_code,
        staff=staff,
        mine=mine,
        everyone=everyone,
        limit=limit,
        pending=DeviceStatus.PENDING,
        notice=notice,
        error=error,
    )


def _approver(staff: StaffPrincipal | PageStaff | None) -> bool:
    return staff is not None and str(WifiPermission.WIFI_APPROVE) in {
        str(p) for p in staff.permissions
    }


def _devices_view(
    uow: object,
    staff: StaffPrincipal | PageStaff | None,
    **kwargs: object,
) -> HTMLResponse:
    account = getattr(staff, "account_id", None)
    mine = service_devices.mine(uow, account) if account else []  # type: ignore[arg-type]
    everyone = service_devices.everyone(uow) if _approver(staff) else None  # type: ignore[arg-type]
    limit = uow.policy.wifi.staff_max_devices  # type: ignore[attr-defined]
    return _devices_page(staff, mine, everyone, limit, **kwargs)  # type: ignore[arg-type]


@router.get("/devices")
def devices_page(staff: DevicesPage, uow: UowDep, done: str = "") -> HTMLResponse:
    """Your devices on the staff wireless network (and, for technical operations, everyone's)."""
    return _devices_view(uow, staff, notice=DONE.get(done))


def _devices_again(retry: FormRetry) -> HTMLResponse:
    return retry.read(
        lambda uow: _devices_view(uow, retry.staff, error="; ".join(retry.errors), status_code=422)
    )


@router.post("/devices")
@form_page(_devices_again, DEVICE_LABELS)
def register_device(
    staff: DevicesPage,
    uow: UowDep,
    mac: Annotated[str, Form(min_length=1, max_length=32)],
    label: Annotated[str, Form(min_length=1, max_length=64)],
) -> Response:
    """Register one of your own devices."""
    try:
        service_devices.register(
            uow, account_id=staff.account_id, username=staff.username, mac=mac, label=label
        )
    except KlaremontError as exc:
        uow.session.rollback()
        return _devices_view(uow, staff, error=_said(exc, DEVICE_LABELS), status_code=exc.status)
    finish(uow)
    return RedirectResponse("/staff/wifi/devices?done=registered", status_code=303)


@router.post("/devices/approve")
@form_page(_devices_again, DECIDE_LABELS)
def approve_device(
    staff: DevicesPage, uow: UowDep, device_id: Annotated[uuid.UUID, Form()]
) -> Response:
    """Technical operations approve a device."""
    try:
        if not _approver(staff):
            raise ValidationFailed.single("device_id", "only technical operations approve devices")
        service_devices.approve(
            uow, device_id=device_id, by=staff.username, by_account=staff.account_id
        )
    except KlaremontError as exc:
        uow.session.rollback()
        return _devices_view(uow, staff, error=_said(exc, DECIDE_LABELS), status_code=exc.status)
    finish(uow)
    return RedirectResponse("/staff/wifi/devices?done=approved", status_code=303)


@router.post("/devices/remove")
@form_page(_devices_again, DECIDE_LABELS)
def remove_device(
    staff: DevicesPage, uow: UowDep, device_id: Annotated[uuid.UUID, Form()]
) -> Response:
    """Remove a device: your own, or anyone's for technical operations."""
    owner = None if _approver(staff) else staff.account_id
    try:
        service_devices.remove(uow, device_id=device_id, by=staff.username, owner=owner)
    except KlaremontError as exc:
        uow.session.rollback()
        return _devices_view(uow, staff, error=_said(exc, DECIDE_LABELS), status_code=exc.status)
    finish(uow)
    return RedirectResponse("/staff/wifi/devices?done=removed", status_code=303)
