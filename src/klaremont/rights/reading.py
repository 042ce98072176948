"""The access copy as a person reads it (PP-R-ACCESS, DP-FAIR): "my data" and the HTML copy.

The access copy (:mod:`klaremont.rights.access`) is complete and machine-shaped: table and
column names, internal ids, pence, ISO timestamps. The person gets that complete copy in
the JSON download; "my data" and the HTML copy show the same records in plain English:
sections with readable titles, field labels instead of column names, money as ``£94.00``,
dates and times in UK form ("6 December 2026, 14:05"), and no internal ids (they link
records to each other and mean nothing to a person; an order line is titled with its
order's number instead).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from klaremont.display import money, uk_date, uk_datetime
from klaremont.rights.states import ObjectionScope, RequestKind, RequestState

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)

#: A request's kind, scope and state as the person reads them (the privacy centre says the same).
KIND_LABELS = {
    RequestKind.ACCESS: "Access (a copy of my data)",
    RequestKind.PORTABILITY: "Portability",
    RequestKind.ERASURE: "Erasure",
    RequestKind.RECTIFICATION: "Rectification",
    RequestKind.RESTRICTION: "Restriction",
    RequestKind.OBJECTION: "Objection",
}
SCOPE_LABELS = {
    ObjectionScope.MARKETING: "marketing and profiling",
    ObjectionScope.PROCESSING: "holding my data",
}
STATE_LABELS = {
    RequestState.RECEIVED: "received",
    RequestState.IDENTITY_PENDING: "waiting for the e-mail code",
    RequestState.VERIFIED: "identity confirmed, waiting to be worked on",
    RequestState.IN_PROGRESS: "in progress",
    RequestState.EXTENDED: "in progress (deadline extended)",
    RequestState.FULFILLED: "done",
    RequestState.REFUSED: "refused",
}
#: a request closed unconfirmed because the person made the same one signed in
REPLACED_STATE = "closed: replaced by your own request"

SECTION_TITLES = {
    "customers": "Your account",
    "addresses": "Addresses",
    "orders": "Orders",
    "order_lines": "Items you ordered",
    "invoices": "Invoices",
    "payment_cards": "Saved payment cards",
    "accuracy_reviews": "When your details were checked",
    "contacts": "Your messages to us",
    "support_contacts": "Your messages to us",
    "marketing_consents": "Your marketing choices",
    "cookie_consents": "Your cookie choices",
    "dsr_requests": "Your privacy requests",
}

LABELS = {
    "reference": "Customer number",
    "created_at": "Created",
    "updated_at": "Last changed",
    "name": "Name",
    "date_of_birth": "Date of birth",
    "gender": "Gender",
    "email": "E-mail address",
    "phone": "Telephone",
    "mobile": "Mobile",
    "channel": "How we received it",
    "collected_at": "Received on",
    "lawful_basis": "Why we may hold it",
    "kind": "Type",
    "country": "Country",
    "line1": "Address",
    "line2": "Address (continued)",
    "town": "Town",
    "county": "County",
    "postcode": "Postcode",
    "number": "Number",
    "placed_at": "Placed on",
    "status": "Status",
    "total_pence": "Total",
    "net_pence": "Before VAT",
    "vat_pence": "VAT",
    "unit_price_pence": "Price each",
    "issued_at": "Issued on",
    "billing_name": "Billing name",
    "billing_address": "Billing address",
    "sku": "Product code",
    "description": "Item",
    "quantity": "Quantity",
    "provider": "Card provider",
    "brand": "Card type",
    "last4": "Card number ends in",
    "expires": "Expires",
    "reviewed_at": "Checked on",
    "outcome": "Result",
    "actor_type": "Checked by",
    "subject_line": "Subject",
    "message": "Message",
    "resolved_at": "Resolved on",
    "granted": "Your choice",
    "recorded_at": "Recorded on",
    "method": "How you told us",
    "source": "Where",
}

VALUE_LABELS = {
    "account_creation": "When you opened your account",
    "website_purchase": "When you bought on our website",
    "phone_order": "When you ordered by phone",
    "contact": "When you contacted us",
    "privacy_centre": "In the privacy centre",
    "staff_console": "Through our customer service team",
    "contract": "To carry out our contract with you",
    "consent": "Your consent",
    "legal_obligation": "A legal obligation",
    "legitimate_interests": "Our legitimate interests",
    "customer": "You",
    "staff": "Our customer service team",
    "system": "Automatically",
    "GB": "United Kingdom",
}

#: Tables of which a person reads only some columns, under these labels (the rest are our
#: working notes: who a request is routed to, clock arithmetic, counts of what was done).
_CHOSEN: dict[str, dict[str, str]] = {
    "dsr_requests": {
        "kind": "Request",
        "scope": "About",
        "state": "Status",
        "received_on": "Received on",
        "verified_at": "Identity confirmed",
        "extension_months": "Deadline extended by (months)",
        "due_on": "We answer by",
        "closed_at": "Closed",
        "refusal_reason": "Why we refused",
    },
}
#: Those tables' coded values in words.
_CHOSEN_VALUES: dict[str, dict[str, dict[str, str]]] = {
    "dsr_requests": {
        "kind": {kind.value: label for kind, label in KIND_LABELS.items()},
        "state": {state.value: label.capitalize() for state, label in STATE_LABELS.items()},
        "scope": {scope.value: label.capitalize() for scope, label in SCOPE_LABELS.items()},
    },
}
#: Records titled by one of their columns: table -> (column, title).
_TITLED = {
    "orders": ("number", "Order {}"),
    "invoices": ("number", "Invoice {}"),
    "payment_cards": ("last4", "Card ending {}"),
    "dsr_requests": ("reference", "Request {}"),
}
#: Who did something (``created_by``, ``resolved_by``: ``customer:<id>``), by kind of actor.
_ACTORS = {"customer": "You", "staff": "Our team", "system": "Automatically"}

#: Columns that only link records to each other, or are shown merged into another field.
_HIDDEN = frozenset({"id", "seq", "position", "currency", "exp_month", "exp_year", "actor_id"})
#: Columns whose values are codes to translate (free text is shown as it is).
_CODED = frozenset(
    {
        "channel",
        "lawful_basis",
        "kind",
        "status",
        "outcome",
        "actor_type",
        "method",
        "source",
        "brand",
        "category",
    }
)


@dataclass(frozen=True)
class Field:
    """One labelled value."""

    label: str
    value: str


@dataclass(frozen=True)
class Record:
    """One record: an optional title and its fields."""

    title: str | None
    fields: list[Field]


@dataclass
class Section:
    """One kind of record."""

    title: str
    records: list[Record] = field(default_factory=list)
    left_out: str | None = None


class Table(Protocol):
    """One table of an access copy, as read here (the copy's ``TableCopy``)."""

    name: str
    rows: list[dict[str, Any]]
    withheld: list[str]


def present(tables: Sequence[Table]) -> list[Section]:
    """The copy's records as sections a person reads (the download keeps everything)."""
    order_numbers = {
        str(row.get("id")): str(row.get("number"))
        for table in tables
        if table.name == "orders"
        for row in table.rows
    }
    return [
        _section(table.name, table.rows, bool(table.withheld), order_numbers)
        for table in tables
        if table.rows
    ]


def present_store(tables: Mapping[str, Mapping[str, Any]]) -> list[Section]:
    """An outside system's records (a connector's answer in the copy), read the same way."""
    return [
        _section(name, list(table.get("rows") or []), bool(table.get("left_out")), {})
        for name, table in tables.items()
        if table.get("rows")
    ]


def _section(
    name: str, rows: list[dict[str, Any]], withheld: bool, order_numbers: dict[str, str]
) -> Section:
    section = Section(SECTION_TITLES.get(name, _words(name)))
    for row in rows:
        fields = _chosen(name, row) if name in _CHOSEN else _fields(row)
        section.records.append(Record(_title(name, row, order_numbers), fields))
    if withheld:
        section.left_out = (
            "Passwords and payment tokens are never shown: we keep them only in a protected "
            "form that cannot be read back."
        )
    return section


def _title(table: str, row: dict[str, Any], order_numbers: dict[str, str]) -> str | None:
    if table in _TITLED:
        column, title = _TITLED[table]
        return title.format(row[column]) if row.get(column) else None
    if table == "order_lines":
        number = order_numbers.get(str(row.get("order_id")))
        return f"From order {number}" if number else None
    if table == "addresses" and row.get("kind"):
        return f"{_words(str(row['kind']))} address"
    return None


def _chosen(table: str, row: dict[str, Any]) -> list[Field]:
    codes = _CHOSEN_VALUES.get(table, {})
    fields: list[Field] = []
    for column, label in _CHOSEN[table].items():
        value = row.get(column)
        if value is None or value in {"", 0}:
            continue
        text = str(value)
        shown = codes[column].get(text, _words(text)) if column in codes else None
        shown = shown or _value(column, value, row)
        if shown is not None:
            fields.append(Field(label, shown))
    return fields


def _fields(row: dict[str, Any]) -> list[Field]:
    fields: list[Field] = []
    for column, value in row.items():
        if value is None or value == "" or column in _HIDDEN or column.endswith("_id"):
            continue
        shown = _value(column, value, row)
        if shown is None:
            continue
        fields.append(Field(LABELS.get(column, _words(column)), shown))
    if row.get("exp_month") and row.get("exp_year"):
        fields.append(Field(LABELS["expires"], f"{int(row['exp_month']):02d}/{row['exp_year']}"))
    return fields


def _value(column: str, value: Any, row: dict[str, Any]) -> str | None:  # noqa: PLR0911 - one answer per kind of value
    """The value as a person reads it; ``None`` for an internal id."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if column.endswith("_pence") and isinstance(value, int):
        return money(value, str(row.get("currency") or "GBP"))
    when = _as_datetime(value) if column.endswith("_at") else None
    if when is not None:
        return uk_datetime(when)
    day = _as_date(value)
    if day is not None:
        return uk_date(day)
    text = str(value)
    if _UUID.match(text):
        return None
    if column.endswith("_by"):
        return _ACTORS.get(text.partition(":")[0], "Our team")
    if column in _CODED or text in VALUE_LABELS:
        return VALUE_LABELS.get(text, _words(text))
    return text


def since(value: Any) -> str:
    """A stored moment or day in UK words (the copy's "since ..."); other text as it is."""
    when = _as_datetime(value)
    if when is not None:
        return uk_datetime(when)
    day = _as_date(value)
    return uk_date(day) if day is not None else str(value)


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        if parsed.tzinfo is None:  # an outside system's time without its offset: UTC, as stored
            return parsed.replace(tzinfo=UTC) if "T" in value else None
        return parsed
    return None


def _as_date(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value)
    return None


def _words(name: str) -> str:
    """``delivery_address`` -> ``Delivery address`` (a fallback label, never a column name)."""
    return name.replace("_", " ").strip().capitalize()
