"""Wireless settings, read from the environment with the prefix ``KLAREMONT_WIFI_``.

The RADIUS server listens on a high loopback port by default (the embedded setup needs no
privileges); production names the address the access points reach. The VLAN ids are the
controller's: guests land on their own layer-2 segment, staff devices on theirs
(IS-WIFI-ISOLATE, the policy's separate wireless segment).
"""

from __future__ import annotations

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from klaremont.config import setting


class WifiSettings(BaseSettings):
    """Where the RADIUS server listens and which VLAN each kind of device gets."""

    model_config = SettingsConfigDict(env_prefix="KLAREMONT_WIFI_", extra="forbid", frozen=True)

    radius_host: str = setting(
        "127.0.0.1",
        fmt="IP address to bind",
        example="10.20.0.4",
        description="where `klaremont radius serve` listens for the access points",
    )
    radius_port: int = setting(
        18120,
        ge=1,
        le=65535,
        fmt="integer 1-65535",
        example="1812",
        description="RADIUS authentication port (accounting listens on the next port up)",
    )
    coa_port: int = setting(
        3799,
        ge=1,
        le=65535,
        fmt="integer 1-65535",
        example="3799",
        description="the access points' port for Disconnect-Requests (RFC 5176)",
    )
    guest_vlan: str = setting(
        "30",
        fmt="VLAN id 1-4094",
        example="30",
        description="Tunnel-Private-Group-Id given to guest devices",
    )
    staff_vlan: str = setting(
        "20",
        fmt="VLAN id 1-4094",
        example="20",
        description="Tunnel-Private-Group-Id given to approved staff devices",
    )
    guest_ssid: str = setting(
        "Klaremont Guest",
        fmt="network name, 1-32 characters",
        example="Klaremont Guest",
        description="the guest network's name, in the join QR code printed on guest slips",
        min_length=1,
        max_length=32,
    )
    uam_secret: SecretStr | None = setting(
        None,
        fmt="text (secret), the captive-portal controller's uamsecret",
        example="(the controller's uamsecret)",
        description="shared with the captive-portal controller for the login page's CHAP answer",
    )

    @field_validator("guest_vlan", "staff_vlan")
    @classmethod
    def _vlan(cls, value: str) -> str:
        if not value.isdigit() or not 1 <= int(value) <= 4094:  # noqa: PLR2004 - IEEE 802.1Q
            msg = "must be a VLAN id from 1 to 4094"
            raise ValueError(msg)
        return value

    @property
    def accounting_port(self) -> int:
        """The accounting port: the next one up from authentication."""
        return self.radius_port + 1
