"""The right to data portability (PP-R-PORT): the data the person *provided*, in a structured,
documented, machine-readable form -- JSON, and a zip of one CSV per record type.

"Provided" follows the ICO: what they gave us (account details, addresses, what they wrote
to us, their marketing choices) and what their use of the shop produced (orders and their
lines, saved cards as brand, expiry and last four digits). Not included: what Klaremont
derives or creates (invoices, processing state, request records), nor credentials.
The schema is :data:`SPECS`; ``docs/portability-schema.md`` documents it field by field
and a test keeps the two in step.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from klaremont.rights.access import AccessCopy

SCHEMA = "klaremont.portability/1"


@dataclass(frozen=True)
class Spec:
    """One record type: where it comes from and its fields (``account``/``order`` are links)."""

    name: str
    table: str
    fields: tuple[str, ...]


SPECS: tuple[Spec, ...] = (
    Spec(
        "accounts",
        "customers",
        (
            "reference", "name", "date_of_birth", "gender", "email", "phone", "mobile",
            "channel", "collected_at", "created_at", "closed_at",
        ),
    ),
    Spec(
        "addresses",
        "addresses",
        ("account", "kind", "line1", "line2", "town", "postcode", "country", "channel",
         "collected_at"),
    ),
    Spec(
        "orders",
        "orders",
        ("number", "account", "placed_at", "status", "total_pence", "currency", "channel"),
    ),
    Spec(
        "order_lines",
        "order_lines",
        ("order", "position", "sku", "description", "quantity", "unit_price_pence"),
    ),
    Spec(
        "payment_cards",
        "payment_cards",
        ("account", "provider", "brand", "exp_month", "exp_year", "last4", "created_at",
         "removed_at"),
    ),
    Spec(
        "contacts",
        "contact_records",
        ("kind", "received_at", "resolved_at", "summary", "channel"),
    ),
    Spec(
        "marketing_choices",
        "marketing_consents",
        ("channel", "granted", "recorded_at", "method", "source"),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Portable:
    """The person's provided data, record type by record type."""

    subject_id: str
    generated_at: str
    records: dict[str, list[dict[str, Any]]]
    external: tuple[dict[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The JSON document."""
        return {
            "schema": SCHEMA,
            "subject_id": self.subject_id,
            "generated_at": self.generated_at,
            "records": self.records,
            "external_stores": list(self.external),
        }

    def to_json(self) -> bytes:
        """UTF-8 JSON."""
        text = json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return text.encode()

    def to_zip(self) -> bytes:
        """A zip of one CSV per record type (header row = the schema's fields), and schema.json."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for spec in SPECS:
                text = io.StringIO()
                writer = csv.DictWriter(text, fieldnames=list(spec.fields), lineterminator="\r\n")
                writer.writeheader()
                for record in self.records.get(spec.name, []):
                    writer.writerow({k: "" if v is None else v for k, v in record.items()})
                archive.writestr(f"{spec.name}.csv", text.getvalue())
            schema = {
                "schema": SCHEMA,
                "subject_id": self.subject_id,
                "generated_at": self.generated_at,
                "files": {f"{s.name}.csv": list(s.fields) for s in SPECS},
            }
            archive.writestr("schema.json", json.dumps(schema, indent=2))
        return buffer.getvalue()


def build(copy: AccessCopy) -> Portable:
    """Project an access copy onto the portability schema."""

    def rows(table: str) -> list[dict[str, Any]]:
        found = copy.table(table)
        return found.rows if found else []

    accounts = {r["id"]: r.get("reference") for r in rows("customers")}
    orders = {r["id"]: r.get("number") for r in rows("orders")}
    records: dict[str, list[dict[str, Any]]] = {}
    for spec in SPECS:
        out: list[dict[str, Any]] = []
        for row in rows(spec.table):
            record: dict[str, Any] = {}
            for name in spec.fields:
                if name == "account" and "customer_id" in row:
                    record[name] = accounts.get(row["customer_id"])
                elif name == "order" and "order_id" in row:
                    record[name] = orders.get(row["order_id"])
                else:
                    record[name] = row.get(name)
            out.append(record)
        records[spec.name] = out
    return Portable(
        str(copy.subject_id), copy.generated_at.isoformat(), records, tuple(copy.external)
    )
