"""The event's free-text fields: refuse log injection and over-long text, normalise origins.

Auditors read these fields as text, so a control character (a newline forging a second
line, a terminal escape) is refused rather than stored, and so is text longer than its
column. The error names the field, never the value.
"""

from __future__ import annotations

import ipaddress
import re

from klaremont.audit import models

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # C0, DEL, C1, surrogates


def clean(name: str, value: str | None, limit: int, *, required: bool = False) -> str | None:
    """Refuse control characters (log injection) and over-long text, naming the field."""
    if value is None or value == "":
        if required:
            msg = f"audit {name} is required"
            raise ValueError(msg)
        return None
    if len(value) > limit:
        msg = f"audit {name} is longer than {limit} characters"
        raise ValueError(msg)
    if _CONTROL.search(value):
        msg = f"audit {name} contains a control character"
        raise ValueError(msg)
    return value


def normalise_origin(value: str | None) -> str | None:
    """Normalise an IP address; other client labels (a proxy's name) are kept as given."""
    cleaned = clean("origin", value, models.ORIGIN_MAX)
    if cleaned is None:
        return None
    try:
        return str(ipaddress.ip_address(cleaned))
    except ValueError:
        return cleaned
