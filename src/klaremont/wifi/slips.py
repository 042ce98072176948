"""Printable guest slips: the code, how long it works, and a QR code that joins the guest
network (made with segno, a maintained QR library). The code itself is not in the QR
code: it is typed on the login page, so a photo of the QR code gives nobody a login."""

from __future__ import annotations

from dataclasses import dataclass

import segno

from klaremont.clock import UK_TIME
from klaremont.wifi.service_guest import IssuedCode


@dataclass(frozen=True, slots=True)
class Slip:
    """One printed slip."""

    code: str
    valid_hours: int
    max_devices: int
    not_after: str
    qr_svg: str


def _escape(value: str) -> str:
    """Escape a network name for the ``WIFI:`` QR format."""
    for char in ("\\", ";", ",", ":", '"'):
        value = value.replace(char, "\\" + char)
    return value


def join_qr(ssid: str) -> str:
    """An inline SVG QR code joining the open guest network ``ssid``."""
    qr = segno.make(f"WIFI:T:nopass;S:{_escape(ssid)};;", error="m")
    svg: str = qr.svg_inline(scale=3, title=f"Join {ssid}")
    return svg


def slips(issued: list[IssuedCode], ssid: str) -> list[Slip]:
    """The slips of a batch (one QR code drawing shared by all)."""
    svg = join_qr(ssid)
    return [
        Slip(
            code=made.code,
            valid_hours=made.valid_hours,
            max_devices=made.max_devices,
            not_after=f"{made.expires_at.astimezone(UK_TIME):%d %B %Y, %H:%M}",
            qr_svg=svg,
        )
        for made in issued
    ]
