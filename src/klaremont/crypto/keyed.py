"""Keyed digests of low-entropy values under the platform secret (codes, names, addresses).

Shared by the privacy centre (verification codes, throttle rows) and staff identity
(lockout counters of names that are not accounts), so neither imports the other.
"""

from __future__ import annotations

import hmac


def keyed_digest(platform_secret: str, label: str, value: str) -> str:
    """HMAC-SHA256 hex of a low-entropy secret (a six-digit code) under the platform secret."""
    message = label.encode() + b"\x00" + value.encode()
    return hmac.new(platform_secret.encode(), message, "sha256").hexdigest()
