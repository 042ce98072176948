"""Versioned privacy notices: publish a text, find the version in force (IS-SENS-CONSENT).

A notice is never edited: publishing a changed text makes the next version, and every
consent record points at the version the person was shown. Publishing the same text
again is refused, so a version number always means a different text. When nothing has
been published yet, the privacy policy text shipped with Klaremont becomes version 1, so
a consent record always has a notice to point at.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from klaremont.consent.actions import ConsentAction
from klaremont.consent.models import PrivacyNotice
from klaremont.errors import Conflict, NotFound, ValidationFailed

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from klaremont.platform import UnitOfWork

PRIVACY_NOTICE = "privacy"
MAX_NOTICE_CHARS = 200_000
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


def text_hash(text: str) -> str:
    """SHA-256 hex of a notice text (UTF-8)."""
    return hashlib.sha256(text.encode()).hexdigest()


def shipped_privacy_notice() -> str:
    """The privacy policy text shipped with Klaremont."""
    return resources.files("klaremont.consent").joinpath("privacy_notice.txt").read_text("utf-8")


def latest_notice(session: Session, notice_key: str = PRIVACY_NOTICE) -> PrivacyNotice | None:
    """The newest published version of ``notice_key``, if any."""
    return session.scalars(
        select(PrivacyNotice)
        .where(PrivacyNotice.notice_key == notice_key)
        .order_by(PrivacyNotice.version.desc())
        .limit(1)
    ).first()


def get_notice(session: Session, notice_key: str, version: int) -> PrivacyNotice:
    """One version of a notice; raises :class:`NotFound`."""
    row = session.scalars(
        select(PrivacyNotice).where(
            PrivacyNotice.notice_key == notice_key, PrivacyNotice.version == version
        )
    ).first()
    if row is None:
        raise NotFound(f"notice {notice_key!r} has no version {version}")
    return row


def list_notices(session: Session, notice_key: str | None = None) -> list[PrivacyNotice]:
    """Every published version, oldest first."""
    query = select(PrivacyNotice).order_by(PrivacyNotice.notice_key, PrivacyNotice.version)
    if notice_key is not None:
        query = query.where(PrivacyNotice.notice_key == notice_key)
    return list(session.scalars(query))


def publish_notice(
    uow: UnitOfWork, text: str, *, notice_key: str = PRIVACY_NOTICE
) -> PrivacyNotice:
    """Publish ``text`` as the next version of ``notice_key``; an unchanged text is refused."""
    if not notice_key or len(notice_key) > 64 or not set(notice_key) <= _KEY_CHARS:  # noqa: PLR2004
        raise ValidationFailed.single("notice_key", "1 to 64 lower-case letters, digits, - or _")
    if not text.strip():
        raise ValidationFailed.single("text", "must not be empty")
    if len(text) > MAX_NOTICE_CHARS:
        raise ValidationFailed.single("text", f"must be at most {MAX_NOTICE_CHARS} characters")
    digest = text_hash(text)
    current = latest_notice(uow.session, notice_key)
    if current is not None and current.text_sha256 == digest:
        raise Conflict(f"notice {notice_key!r} version {current.version} already has this text")
    version = (
        uow.session.scalar(
            select(func.max(PrivacyNotice.version)).where(PrivacyNotice.notice_key == notice_key)
        )
        or 0
    ) + 1
    row = PrivacyNotice(
        notice_key=notice_key,
        version=version,
        published_at=uow.clock.now(),
        text_sha256=digest,
        text=text,
        published_by=str(uow.actor),
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit(
        ConsentAction.CONSENT_CHANGE,
        resource=f"notice:{notice_key}:{version}",
        details={"kind": "notice_published", "sha256_prefix": digest[:12]},
    )
    return row


def notice_in_force(uow: UnitOfWork, notice_key: str = PRIVACY_NOTICE) -> PrivacyNotice:
    """The version a person sees now; publishes the shipped privacy notice if none exists."""
    current = latest_notice(uow.session, notice_key)
    if current is not None:
        return current
    if notice_key != PRIVACY_NOTICE:
        raise NotFound(f"notice {notice_key!r} has not been published")
    return publish_notice(uow, shipped_privacy_notice(), notice_key=notice_key)
