"""The event's free-text fields: refuse log injection and over-long text, normalise origins.

Auditors read these fields as text, so a control character (a newline forging a second
line, a terminal escape) is refused rather than stored, and so is text longer than its
column. The error names the field, never the value.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy import false

from klaremont.audit import models
from klaremont.audit.encoding import format_timestamp
from klaremont.errors import ValidationFailed

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import ColumnElement

FIRST_YEAR = 1000  # stored times are fixed-width text: the years 1000-9999
MIDDLE_YEAR = 5000

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


def filter_time(name: str, value: datetime | None) -> tuple[str | None, int]:
    """A time filter of a read: ``(stored UTC text, 0)``, or ``(None, -1)`` for an instant
    before the year 1000 (UTC) and ``(None, 1)`` for one after 9999, which no stored event
    can precede or follow. Refused, naming the field, when it has no time zone."""
    if value is None:
        return None, 0
    if value.tzinfo is None:
        raise ValidationFailed.single(name, "must include a time zone offset")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 or 9999-12-31T23:59-01:00
        return None, -1 if value.year < MIDDLE_YEAR else 1
    if utc.year < FIRST_YEAR:
        return None, -1
    return format_timestamp(utc), 0


def time_window(
    since: datetime | None, until: datetime | None
) -> tuple[list[ColumnElement[bool]], dict[str, str]]:
    """The conditions of a read's ``since``/``until`` filters, and the filters as recorded.

    Edges are answered correctly rather than refused: a window starting after the year 9999
    or ending before the year 1000 matches nothing, and one starting before 1000 or ending
    after 9999 does not limit that side.
    """
    since_text, since_side = filter_time("since", since)
    until_text, until_side = filter_time("until", until)
    conditions: list[ColumnElement[bool]] = []
    recorded: dict[str, str] = {}
    if since is not None:
        recorded["since"] = since_text or since.isoformat()
    if until is not None:
        recorded["until"] = until_text or until.isoformat()
    if since_side > 0 or until_side < 0:
        conditions.append(false())
    if since_text is not None:
        conditions.append(models.AuditEvent.occurred_at >= since_text)
    if until_text is not None:
        conditions.append(models.AuditEvent.occurred_at < until_text)
    return conditions, recorded
