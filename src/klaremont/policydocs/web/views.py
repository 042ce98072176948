"""What the policy pages show, as plain values: titles, versions, dates in UK form and role
names in words; no stored key, hash or clause reaches what staff read except the short
fingerprint of a version's text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from klaremont.display import uk_date, uk_datetime
from klaremont.errors import NotFound
from klaremont.policydocs import library, overdue, service
from klaremont.policydocs.permissions import PolicyDocPermission
from klaremont.policydocs.reminders import ROLE_WORDS
from klaremont.web.render import render

if TYPE_CHECKING:
    from fastapi.responses import HTMLResponse

    from klaremont.platform import UnitOfWork


def manages(staff: Any) -> bool:
    """Whether the person sees the overdue lists (the DPO, the ISO)."""
    held = {str(p) for p in getattr(staff, "permissions", ())}
    return PolicyDocPermission.POLICIES_MANAGE.value in held


def role_words(role: str) -> str:
    """A role as people say it."""
    return ROLE_WORDS.get(role, role.replace("_", " ").capitalize())


def list_view(uow: UnitOfWork, username: str) -> dict[str, Any]:
    """Each document with its version in force and whether this person acknowledged it."""
    rows = []
    for key, version in service.current_all(uow).items():
        title = library.shipped(key).title
        if version is None:
            rows.append({"slug": key.lower(), "title": title, "label": "", "state": "none"})
            continue
        ack = service.acknowledged(uow, version, username)
        due = overdue.ack_due(version)
        today = uow.clock.now().date()
        state = "done" if ack else ("late" if today > due else "due")
        rows.append({
            "slug": key.lower(),
            "title": version.title,
            "label": version.label,
            "effective": uk_date(version.effective_on),
            "state": state,
            "when": uk_date(ack.acknowledged_at) if ack else uk_date(due),
        })  # fmt: skip
    return {"rows": rows}


def document_view(uow: UnitOfWork, slug: str, username: str, show_reviews: bool) -> dict[str, Any]:
    """One document's version in force: its sections, and this person's acknowledgement."""
    key = slug.upper()
    if key not in library.DOCUMENT_KEYS:
        msg = "no such policy document"
        raise NotFound(msg)
    version = service.current(uow, key)
    if version is None:
        return {"slug": slug, "title": library.shipped(key).title, "version": None}
    doc = service.version_document(version)
    register = {s.number: s for s in service.sections(uow, key)}
    sections = []
    for s in doc.sections:
        row = register.get(s.number)
        sections.append({
            "number": s.number,
            "anchor": s.number.replace(".", "-").lower(),
            "heading": s.heading,
            "text": s.text,
            "owner": role_words(s.owner),
            "last": (f"{uk_date(row.last_reviewed_on)} by {row.last_reviewed_by}"
                     if row and row.last_reviewed_on else "not yet reviewed"),
            "next": uk_date(row.next_review_on) if row else "",
            "late": bool(row and row.next_review_on < uow.clock.now().date()),
        })  # fmt: skip
    ack = service.acknowledged(uow, version, username)
    return {
        "slug": slug,
        "title": doc.title,
        "version": {
            "label": version.label,
            "effective": uk_date(version.effective_on),
            "fingerprint": version.content_hash[:12],
            "due": uk_date(overdue.ack_due(version)),
        },
        "sections": sections,
        "acknowledged": uk_datetime(ack.acknowledged_at) if ack else "",
        "show_reviews": show_reviews,
    }


def overdue_view(uow: UnitOfWork) -> dict[str, Any]:
    """Both overdue lists, what is still within its period, and the review form's sections."""
    today = uow.clock.now().date()
    pending = overdue.outstanding(uow, today)
    return {
        "days": overdue.ACK_DAYS,
        "late": [
            {"username": o.username, "title": o.title, "label": o.label, "due": uk_date(o.due_on)}
            for o in pending
            if o.overdue
        ],
        "waiting": sum(1 for o in pending if not o.overdue),
        "reviews": [
            {
                "number": s.number,
                "heading": s.heading,
                "owner": role_words(s.owner_role),
                "due": uk_date(s.next_review_on),
            }
            for s in overdue.overdue_reviews(uow, today)
        ],
        "soon": [
            {
                "number": s.number,
                "heading": s.heading,
                "owner": role_words(s.owner_role),
                "due": uk_date(s.next_review_on),
            }
            for s in overdue.reviews_due_soon(uow, 60, today)
        ],
        "sections": [(s.number, f"{s.number} {s.heading}") for s in service.sections(uow)],
        "interval": uow.policy.review.policy_review_interval_days,
    }


def draw(template: str, staff: Any, view: dict[str, Any] | None, **kw: Any) -> HTMLResponse:
    """A policy page."""
    status = kw.pop("status_code", 200)
    return render(
        f"staff/{template}",
        status_code=status,
        staff=staff,
        view=view,
        manages=manages(staff),
        **kw,
    )
