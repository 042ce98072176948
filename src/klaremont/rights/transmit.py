"""Sending a portability copy straight to another organisation (PP-R-PORT).

HTTPS only, a POST of the JSON document, a timeout, no redirects followed, and by default no
private, loopback or link-local destination (the customer names the URL: it must not reach
into our own network). Each attempt is recorded (host, status, size, digest -- not the URL
path or the payload). Tests plug a :class:`Transmitter` that trusts their local certificate
and allows loopback into ``platform.extras["rights.transmitter"]``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from klaremont.errors import ValidationFailed

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

TRANSMITTER_EXTRA = "rights.transmitter"
TIMEOUT_SECONDS = 10.0
URL_MAX = 2000


@dataclass(frozen=True)
class Sent:
    """How one transmission ended."""

    host: str
    status_code: int | None
    outcome: str  # delivered | rejected | failed
    sha256: str
    size: int


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


def check_url(url: str, *, allow_private: bool = False) -> tuple[str, int]:
    """Refuse anything but an https URL to a public host; returns (host, port)."""
    if len(url) > URL_MAX:
        raise ValidationFailed.single("recipient_url", f"at most {URL_MAX} characters")
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ValidationFailed.single("recipient_url", "must be an https:// address")
    if parts.username or parts.password:
        raise ValidationFailed.single("recipient_url", "must not carry credentials")
    host = parts.hostname
    port = parts.port or 443
    if not allow_private:
        try:
            infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        except OSError:
            raise ValidationFailed.single("recipient_url", "the host does not resolve") from None
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not address.is_global:
                raise ValidationFailed.single(
                    "recipient_url", "must be a public address, not a private or local one"
                )
    return host, port


@dataclass(frozen=True)
class Transmitter:
    """Posts JSON over TLS; ``context`` and ``allow_private`` are for tests and private PKI."""

    context: ssl.SSLContext | None = None
    allow_private: bool = False
    timeout: float = TIMEOUT_SECONDS

    def send(self, url: str, payload: bytes) -> Sent:
        """POST ``payload`` to ``url``; never raises for a refusal or a network failure."""
        host, _port = check_url(url, allow_private=self.allow_private)
        digest = hashlib.sha256(payload).hexdigest()
        context = self.context or ssl.create_default_context()
        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context), _NoRedirect()
        )
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked: https only
            url,
            data=payload,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "klaremont-portability/1"},
        )
        try:
            with opener.open(request, timeout=self.timeout) as response:
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            return Sent(host, exc.code, "rejected", digest, len(payload))
        except (urllib.error.URLError, OSError, ssl.SSLError):
            return Sent(host, None, "failed", digest, len(payload))
        outcome = "delivered" if 200 <= status < 300 else "rejected"  # noqa: PLR2004 - HTTP 2xx
        return Sent(host, status, outcome, digest, len(payload))


def transmitter_for(uow: UnitOfWork) -> Transmitter:
    """The transmitter plugged into the platform, or the default one."""
    plugged = uow.platform.extras.get(TRANSMITTER_EXTRA)
    return plugged if isinstance(plugged, Transmitter) else Transmitter()
