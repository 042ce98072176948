"""The file a support partner receives for a share (PP-SUPPORT): JSON or CSV, made once.

Each person is read through the customers capability's single customer view for the
``support`` purpose as the support function sees it (so the purpose check, a restriction
and the read audit all apply), and only the chosen fields are written. Pseudonymised, a
person is a keyed pseudonym (``P-`` and 12 hex digits, keyed per share so two shares
cannot be joined) and no name or e-mail address is written. Card data is never read.
The download works once; it is audited with the number of people and the fields.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from typing import TYPE_CHECKING, Any

from klaremont.customers.access import Access
from klaremont.customers.view import customer_view
from klaremont.errors import Conflict, ValidationFailed
from klaremont.policy.purposes import Purpose
from klaremont.processors import service
from klaremont.processors.actions import ProcessorAction
from klaremont.processors.support import SupportField, find
from klaremont.spreadsheet import safe_cell
from klaremont.staff.permissions import Role

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.processors.models import SupportShare

FORMS = ("json", "csv")
SUPPORT_VIEW = Access(Purpose.SUPPORT, frozenset({Role.SUPPORT_AGENT}))


def pseudonym(uow: UnitOfWork, share: SupportShare, reference: str) -> str:
    """A keyed pseudonym for one person within one share."""
    secret = uow.platform.settings.secret_key.get_secret_value().encode()
    key = hmac.new(secret, b"klaremont/processors/support-pseudonym/v1", hashlib.sha256).digest()
    message = f"{share.id}\x00{reference}".encode()
    return "P-" + hmac.new(key, message, hashlib.sha256).hexdigest()[:12]


def _person(uow: UnitOfWork, share: SupportShare, reference: str) -> dict[str, Any]:
    fields = {SupportField(f) for f in share.fields.split(",") if f}
    view = customer_view(uow, reference, SUPPORT_VIEW)
    account = next((a for a in view.accounts if a.reference == reference), view.accounts[0])
    row: dict[str, Any] = {
        "person": pseudonym(uow, share, reference) if share.pseudonymised else reference
    }
    if SupportField.NAME in fields:
        row["name"] = account.name or ""
    if SupportField.EMAIL in fields:
        row["email"] = account.email or ""
    orders = view.orders or []
    if SupportField.ORDER_NUMBERS in fields:
        row["order_numbers"] = [o.number for o in orders]
    if SupportField.PRODUCT_LINES in fields:
        row["product_lines"] = [
            {"order": o.number, "sku": line.sku, "description": line.description,
             "quantity": line.quantity}
            for o in orders for line in o.lines
        ]  # fmt: skip
    if SupportField.DELIVERY_TOWN in fields:
        towns = {a.town for a in (account.addresses or []) if a.town and a.kind == "delivery"}
        towns = towns or {a.town for a in (account.addresses or []) if a.town}
        row["delivery_town"] = sorted(towns)
    return row


def rows(uow: UnitOfWork, share: SupportShare) -> list[dict[str, Any]]:
    """One row per person, with the chosen fields only."""
    return [_person(uow, share, ref) for ref in share.customers.split(",") if ref]


def _csv(people: list[dict[str, Any]]) -> str:
    if not people:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(people[0]))
    writer.writeheader()
    for person in people:
        flat = {}
        for name, value in person.items():
            if isinstance(value, list):
                parts = [
                    f"{v['order']} {v['sku']} {v['description']} x{v['quantity']}"
                    if isinstance(v, dict) else str(v)
                    for v in value
                ]  # fmt: skip
                flat[name] = safe_cell("; ".join(parts))
            else:
                flat[name] = safe_cell(value)
        writer.writerow(flat)
    return out.getvalue()


def export(uow: UnitOfWork, reference: str, form: str) -> tuple[str, bytes]:
    """The partner's file for the share (once): its name and bytes."""
    if form not in FORMS:
        raise ValidationFailed.single("form", "json or csv")
    share = find(uow, reference)
    if share.exported_at is not None:
        raise Conflict(
            f"support share {share.reference}'s file was already downloaded on "
            f"{share.exported_at:%d/%m/%Y} by {share.exported_by}; open a new share if needed"
        )
    if share.resolved_at is not None:
        raise Conflict(f"support share {share.reference}'s ticket is resolved: nothing to send")
    people = rows(uow, share)
    share.exported_at = uow.clock.now()
    share.exported_by = service.who(uow)
    uow.audit(
        ProcessorAction.SUPPORT_SHARE_EXPORTED,
        resource=f"support-share:{share.reference}",
        details={"form": form, "people": len(people), "fields": share.fields.split(",")},
    )
    name = f"support-share-{share.reference}.{form}"
    if form == "csv":
        return name, _csv(people).encode()
    document = {
        "share": share.reference,
        "ticket": share.ticket,
        "pseudonymised": share.pseudonymised,
        "fields": share.fields.split(","),
        "delete_when": "as soon as the ticket is resolved; Klaremont will send a link to confirm",
        "people": people,
    }
    return name, json.dumps(document, indent=2, default=str).encode()
