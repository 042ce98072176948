"""The event's free-text fields: refuse log injection and over-long text, normalise origins.

Auditors read these fields as text, so a control character (a newline forging a second
line, a terminal escape) is refused rather than stored, and so is text longer than its
column. The error names the field, never the value.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING
from urllib.parse import quote

from klaremont.audit import models
from klaremont.audit.encoding import format_timestamp
from klaremont.errors import ValidationFailed

if TYPE_CHECKING:
    from datetime import datetime

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


# Printable ASCII a path may carry as is; everything else (controls, spaces, non-ASCII) is
# percent-encoded, so whatever a client put in a URL can be recorded as the resource.
_PATH_SAFE = "/:@!$&'()*+,;=-._~{}[]"


def route_resource(method: str, path: str) -> str:
    """The audit resource naming a request to ``path``: ``route:<METHOD> <path>``.

    The path is the client's, so it may hold any character (``/api/customers/%17``): it is
    percent-encoded, never refused, so a refusal of a malformed request is still recorded.
    """
    method_text = method if method.isascii() and method.isalpha() else "?"
    return f"route:{method_text} {quote(path, safe=_PATH_SAFE)}"[: models.RESOURCE_MAX]


def filter_text(name: str, value: str | None) -> str | None:
    """A text filter of a read: refused, naming the field, if it holds a control character
    (PostgreSQL refuses a NUL in text, and no stored field can hold one anyway)."""
    if value is not None and _CONTROL.search(value):
        raise ValidationFailed.single(name, "must not contain control characters")
    return value


def filter_time(name: str, value: datetime | None) -> str | None:
    """A time filter of a read as stored UTC text; refused, naming the field, when it has no
    time zone or falls outside the years the log can hold (1000-9999 in UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValidationFailed.single(name, "must include a time zone offset")
    try:
        return format_timestamp(value)
    except (OverflowError, ValueError):
        raise ValidationFailed.single(
            name, "must be between the years 1000 and 9999 (UTC)"
        ) from None
