"""The canonical encoding of an audit event, and the hash chain over it.

An event's hash is ``sha256(prev_hash + encoding)`` in hex, where ``prev_hash`` is the
previous event's hash as its 64 ASCII hex characters (64 zeros before the first event)
and ``encoding`` is the compact JSON array, UTF-8 and unescaped beyond what JSON needs::

    ["kaudit1", "<seq>", "<occurred_at>", "<actor_type>", "<actor_id>", "<action>",
     "<outcome>", <origin>, <resource>, <purpose>, <request_id>, "<details>"]

(without the spaces), where the four nullable fields are a JSON string or ``null``.

Why a JSON array: it is unambiguous for any field content (quotes, separators and
control characters are escaped, ``null`` is not a string) and every database we run on
builds exactly these bytes itself -- SQLite's ``json_array`` and PostgreSQL's
``array_to_json(ARRAY[...]::text[])`` -- so :mod:`klaremont.audit.scan` lets the database
produce the encoding in C while Python only hashes. The writer encodes in Python with
:func:`encode_event`; the tests check that the three agree. ``kaudit1`` names the format
so a future change can be told apart.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

from klaremont.clock import ensure_utc

if TYPE_CHECKING:
    from collections.abc import Mapping

ENCODING_VERSION = "kaudit1"
GENESIS_HASH = "0" * 64
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
TIMESTAMP_LENGTH = 27

# Column order of the encoding, the one definition the hash chain depends on; the
# appender, the scanner (SQL) and the classifier derive theirs from it.
ENCODED_COLUMNS = (
    "seq",
    "occurred_at",
    "actor_type",
    "actor_id",
    "action",
    "outcome",
    "origin",
    "resource",
    "purpose",
    "request_id",
    "details",
)
#: Every stored column of an event, in the same order: the encoded ones and the chain links.
STORED_COLUMNS = (*ENCODED_COLUMNS, "prev_hash", "hash")


def format_timestamp(when: datetime) -> str:
    """Render an aware time as fixed-width UTC text ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

    Fixed width makes the text sort the same way as the instants it names.
    """
    text = ensure_utc(when).strftime(TIMESTAMP_FORMAT)
    if len(text) != TIMESTAMP_LENGTH:
        msg = f"timestamp {text!r} is outside the years 1000-9999"
        raise ValueError(msg)
    return text


def parse_timestamp(text: str) -> datetime:
    """Read a stored timestamp back as an aware UTC datetime."""
    return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    msg = f"{type(value).__name__} is not allowed in audit details"
    raise TypeError(msg)


def canonical_json(value: Mapping[str, Any] | None) -> str:
    """Details as canonical JSON: sorted keys, compact, UTF-8, no NaN; ``{}`` when empty."""
    if not value:
        return "{}"
    try:
        return json.dumps(
            value,
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
            default=_json_default,
        )
    except (TypeError, ValueError) as exc:
        msg = f"audit details are not JSON-serialisable: {exc}"
        raise ValueError(msg) from exc


@dataclass(frozen=True, slots=True)
class EventFields:
    """The hashed fields of one event, exactly as stored."""

    seq: int
    occurred_at: str
    actor_type: str
    actor_id: str
    action: str
    outcome: str
    origin: str | None
    resource: str | None
    purpose: str | None
    request_id: str | None
    details: str

    def as_list(self) -> list[Any]:
        """The fields in encoding order, ``seq`` as decimal text."""
        return [
            ENCODING_VERSION,
            str(self.seq),
            self.occurred_at,
            self.actor_type,
            self.actor_id,
            self.action,
            self.outcome,
            self.origin,
            self.resource,
            self.purpose,
            self.request_id,
            self.details,
        ]


def encode_values(values: list[Any]) -> str:
    """The canonical JSON array text of already-ordered values."""
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def encode_event(fields: EventFields) -> str:
    """The canonical encoding of one event."""
    return encode_values(fields.as_list())


def chain_hash(prev_hash: str, fields: EventFields) -> str:
    """``sha256(prev_hash + encoding)`` as 64 lower-case hex characters."""
    message = (prev_hash + encode_event(fields)).encode("utf-8")
    return hashlib.sha256(message).hexdigest()


def recompute_row_hash(row: Mapping[str, Any]) -> str | None:
    """Recompute a stored row's hash from its stored fields; ``None`` if a field is malformed.

    Used by the verifier's slow path, so it tolerates whatever an attacker may have stored.
    """
    try:
        seq = row["seq"]
        if not isinstance(seq, int):
            return None
        values: list[Any] = [ENCODING_VERSION, str(seq)]
        for name in ENCODED_COLUMNS[1:]:
            value = row[name]
            if value is not None and not isinstance(value, str):
                return None
            values.append(value)
        prev = row["prev_hash"]
        if not isinstance(prev, str):
            return None
        return hashlib.sha256((prev + encode_values(values)).encode("utf-8")).hexdigest()
    except (KeyError, UnicodeEncodeError):
        return None
