"""Policy documents: publish a version, read the current one, acknowledge it, review sections.

A version is current from its effective date: the current version of a document is the one
with the latest effective date on or before today (the latest published among equals).
Publishing stores the document's text as canonical JSON with its SHA-256 and brings the
section register in line with it (a new section is due for review one interval after the
effective date; an existing one keeps its review dates; its heading and owner follow the
text). Acknowledging records who acknowledged which version and when, once; reviewing
records the review and moves the next review date one interval on. Each is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont import plausible
from klaremont.errors import Conflict, NotFound, ValidationFailed
from klaremont.policydocs import library
from klaremont.policydocs.actions import PolicyDocAction
from klaremont.policydocs.models import (
    LABEL_MAX,
    NAME_MAX,
    NOTE_MAX,
    PolicyAcknowledgement,
    PolicyDocumentVersion,
    PolicyReview,
    PolicySection,
)

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,19}")


def review_interval(uow: UnitOfWork) -> timedelta:
    """How long a section review lasts: the policy file's ``review.policy_review_interval_days``."""
    return timedelta(days=uow.policy.review.policy_review_interval_days)


def _label(label: str) -> str:
    label = label.strip()
    if not _LABEL.fullmatch(label):
        raise ValidationFailed.single(
            "version", f"must be 1 to {LABEL_MAX} letters, digits, dots or dashes (e.g. 2026.1)"
        )
    return label


def _name(field: str, name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationFailed.single(field, "must be filled in")
    if len(name) > NAME_MAX:
        raise ValidationFailed.single(field, f"must be at most {NAME_MAX} characters")
    return name


def versions(uow: UnitOfWork, document: str | None = None) -> list[PolicyDocumentVersion]:
    """Every version (of one document), newest effective first."""
    query = select(PolicyDocumentVersion)
    if document is not None:
        query = query.where(PolicyDocumentVersion.document == document)
    return list(
        uow.session.scalars(
            query.order_by(
                PolicyDocumentVersion.document,
                PolicyDocumentVersion.effective_on.desc(),
                PolicyDocumentVersion.published_at.desc(),
            )
        )
    )


def current(
    uow: UnitOfWork, document: str, today: date | None = None
) -> PolicyDocumentVersion | None:
    """The version in force today, or ``None`` when none is."""
    today = today or uow.clock.now().date()
    return uow.session.scalars(
        select(PolicyDocumentVersion)
        .where(
            PolicyDocumentVersion.document == document,
            PolicyDocumentVersion.effective_on <= today,
        )
        .order_by(
            PolicyDocumentVersion.effective_on.desc(), PolicyDocumentVersion.published_at.desc()
        )
        .limit(1)
    ).first()


def current_all(uow: UnitOfWork) -> dict[str, PolicyDocumentVersion | None]:
    """Each shipped document's current version (``None`` where none is in force)."""
    today = uow.clock.now().date()
    return {key: current(uow, key, today) for key in library.DOCUMENT_KEYS}


def get_version(uow: UnitOfWork, document: str, label: str) -> PolicyDocumentVersion:
    """One version by document and label."""
    found = uow.session.scalars(
        select(PolicyDocumentVersion).where(
            PolicyDocumentVersion.document == document, PolicyDocumentVersion.label == label
        )
    ).first()
    if found is None:
        msg = f"{document} has no version {label!r}"
        raise NotFound(msg)
    return found


def document_key(text: str) -> str:
    """A document key as typed (``dp``, ``DP``), checked against the shipped documents."""
    key = text.strip().upper()
    if key not in library.DOCUMENT_KEYS:
        raise ValidationFailed.single(
            "document", f"must be one of {', '.join(library.DOCUMENT_KEYS)}"
        )
    return key


@dataclass(frozen=True, slots=True)
class Published:
    """What publishing did."""

    document: str
    label: str
    content_hash: str
    new_sections: int


def publish(
    uow: UnitOfWork,
    document: str,
    label: str,
    *,
    by: str,
    effective_on: date | None = None,
    content: library.Document | None = None,
) -> Published:
    """Record a new version of ``document`` (the shipped text unless ``content`` is given)."""
    key = document_key(document)
    label = _label(label)
    by = _name("by", by)
    today = uow.clock.now().date()
    effective_on = effective_on or today
    if effective_on < today - timedelta(days=366):
        raise ValidationFailed.single("effective", "must be within the last year")
    doc = content or library.shipped(key)
    if uow.session.scalars(
        select(PolicyDocumentVersion.id).where(
            PolicyDocumentVersion.document == key, PolicyDocumentVersion.label == label
        )
    ).first():
        msg = f"{key} already has a version {label}"
        raise Conflict(msg)
    body = doc.to_json()
    row = PolicyDocumentVersion(
        document=key,
        title=doc.title,
        label=label,
        effective_on=effective_on,
        published_at=uow.clock.now(),
        published_by=by,
        content_hash=library.content_hash(body),
        content=body,
    )
    uow.session.add(row)
    new = _sync_sections(uow, doc, effective_on)
    uow.session.flush()
    uow.audit(
        PolicyDocAction.PUBLISHED,
        resource=f"policy:{key}:{label}",
        details={
            "document": key,
            "version": label,
            "effective_on": effective_on.isoformat(),
            "content_hash": row.content_hash,
            "by": by,
        },
    )
    return Published(key, label, row.content_hash, new)


def _sync_sections(uow: UnitOfWork, doc: library.Document, effective_on: date) -> int:
    known = {
        s.number: s
        for s in uow.session.scalars(select(PolicySection).where(PolicySection.document == doc.key))
    }
    new = 0
    for section in doc.sections:
        row = known.get(section.number)
        if row is None:
            uow.session.add(
                PolicySection(
                    document=doc.key,
                    number=section.number,
                    heading=section.heading,
                    owner_role=section.owner,
                    last_reviewed_on=None,
                    last_reviewed_by=None,
                    next_review_on=effective_on + review_interval(uow),
                )
            )
            new += 1
        else:
            row.heading, row.owner_role = section.heading, section.owner
    return new


def version_document(version: PolicyDocumentVersion) -> library.Document:
    """A stored version's text; refused when it no longer matches its hash."""
    if library.content_hash(version.content) != version.content_hash:
        msg = f"{version.document} {version.label}: stored text does not match its hash"
        raise Conflict(msg)
    return library.from_json(version.content)


def acknowledged(
    uow: UnitOfWork, version: PolicyDocumentVersion, username: str
) -> PolicyAcknowledgement | None:
    """This person's acknowledgement of this version, if any."""
    return uow.session.scalars(
        select(PolicyAcknowledgement).where(
            PolicyAcknowledgement.version_id == version.id,
            PolicyAcknowledgement.username == username,
        )
    ).first()


def acknowledge(
    uow: UnitOfWork, document: str, username: str, label: str = ""
) -> PolicyAcknowledgement:
    """Record that ``username`` read and acknowledged the current version of ``document``.

    ``label`` (the version the page showed) must still be the current one, so nobody
    acknowledges a version replaced while they read it. Acknowledging twice is harmless:
    the first acknowledgement stands.
    """
    key = document_key(document)
    username = _name("username", username)
    version = current(uow, key)
    if version is None:
        msg = f"{key} has no version in force to acknowledge"
        raise NotFound(msg)
    if label and label != version.label:
        raise ValidationFailed.single(
            "version", "is no longer the current version: read the page again"
        )
    done = acknowledged(uow, version, username)
    if done is not None:
        return done
    row = PolicyAcknowledgement(
        version_id=version.id, username=username, acknowledged_at=uow.clock.now()
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit(
        PolicyDocAction.ACKNOWLEDGED,
        resource=f"policy:{key}:{version.label}",
        details={"document": key, "version": version.label, "content_hash": version.content_hash},
    )
    return row


def sections(uow: UnitOfWork, document: str | None = None) -> list[PolicySection]:
    """The section register (of one document), in number order."""
    query = select(PolicySection)
    if document is not None:
        query = query.where(PolicySection.document == document)
    rows = list(uow.session.scalars(query))
    return sorted(rows, key=lambda s: (library.DOCUMENT_KEYS.index(s.document), _order(s.number)))


def _order(number: str) -> tuple[int, ...]:
    return tuple(int(p) for p in number.split(".")[1:] if p.isdigit())


def record_review(
    uow: UnitOfWork, number: str, *, by: str, reviewed_on: date | None = None, note: str = ""
) -> PolicySection:
    """Record a review of section ``number``; its next review falls one interval later."""
    by = _name("by", by)
    if len(note) > NOTE_MAX:
        raise ValidationFailed.single("note", f"must be at most {NOTE_MAX} characters")
    today = uow.clock.now().date()
    reviewed_on = plausible.past_day("reviewed_on", reviewed_on or today, today)
    row = uow.session.scalars(
        select(PolicySection).where(PolicySection.number == number.strip().upper())
    ).first()
    if row is None:
        raise ValidationFailed.single("section", "is not a section of a published document")
    if row.last_reviewed_on is not None and reviewed_on < row.last_reviewed_on:
        last = row.last_reviewed_on.strftime("%d/%m/%Y")
        raise ValidationFailed.single(
            "reviewed_on", f"must not be before the section's last review ({last})"
        )
    row.last_reviewed_on = reviewed_on
    row.last_reviewed_by = by
    row.next_review_on = reviewed_on + review_interval(uow)
    uow.session.add(
        PolicyReview(
            number=row.number,
            reviewed_on=reviewed_on,
            reviewed_by=by,
            note=note.strip(),
            recorded_at=uow.clock.now(),
        )
    )
    uow.session.flush()
    uow.audit(
        PolicyDocAction.REVIEWED,
        resource=f"policy-section:{row.number}",
        details={
            "section": row.number,
            "reviewed_on": reviewed_on.isoformat(),
            "next_review_on": row.next_review_on.isoformat(),
            "by": by,
        },
    )
    return row
