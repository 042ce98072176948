"""Prepared copies and how they reach the person: only through a verified channel.

A copy (JSON, HTML, zip) is stored sealed under the person's data key, so erasing the
person erases every copy too. It is reached three ways, each audited as a personal-data
read: by the signed-in owner in the privacy centre; by the link mailed to the address on
the account (a random token, only its keyed digest stored, bound to its request, expiring,
a few uses); and by staff holding the export permission. Another person's id, or a token of
another request, is answered exactly like a missing one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from klaremont.errors import NotFound, ValidationFailed
from klaremont.rights import service
from klaremont.rights.events import RightsEvent, audit_rights, request_resource
from klaremont.rights.identity import account_address, new_token, token_digest
from klaremont.rights.models import DownloadLink, ExportArtifact
from klaremont.rights.ports import download_mail, outbox_for

if TYPE_CHECKING:
    import uuid

    from klaremont.platform import UnitOfWork
    from klaremont.rights.models import RightsRequest

LINK_VALID = timedelta(days=7)
LINK_USES = 3
EXPORT_KEPT = timedelta(days=30)
MEDIA_TYPES = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "zip": "application/zip",
}
_TABLE = ExportArtifact.__tablename__


@dataclass(frozen=True)
class Artifact:
    """One prepared copy, opened."""

    fmt: str
    media_type: str
    filename: str
    content: bytes


def _check_format(fmt: str) -> str:
    if fmt not in MEDIA_TYPES:
        raise ValidationFailed.single("format", f"one of {', '.join(MEDIA_TYPES)}")
    return fmt


def store(uow: UnitOfWork, request: RightsRequest, fmt: str, content: bytes) -> ExportArtifact:
    """Keep one copy of the request, sealed (a new copy replaces the old one)."""
    _check_format(fmt)
    uow.session.execute(
        delete(ExportArtifact).where(
            ExportArtifact.request_id == request.id, ExportArtifact.fmt == fmt
        )
    )
    row = ExportArtifact(
        request_id=request.id,
        subject_id=request.subject_id,
        fmt=fmt,
        media_type=MEDIA_TYPES[fmt],
        created_at=uow.clock.now(),
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=b"",
    )
    row.content = uow.crypto.seal(request.subject_id, _TABLE, "content", row.id, content)
    uow.session.add(row)
    uow.session.flush()
    return row


def formats(uow: UnitOfWork, request_id: uuid.UUID) -> list[str]:
    """The formats prepared for a request."""
    query = select(ExportArtifact.fmt).where(ExportArtifact.request_id == request_id)
    return sorted(uow.session.scalars(query))


def _open(uow: UnitOfWork, request: RightsRequest, fmt: str, who: str) -> Artifact:
    row = uow.session.scalars(
        select(ExportArtifact).where(
            ExportArtifact.request_id == request.id, ExportArtifact.fmt == _check_format(fmt)
        )
    ).first()
    if row is None:
        raise NotFound("no such copy")
    content = uow.crypto.open_bytes(request.subject_id, _TABLE, "content", row.id, row.content)
    audit_rights(
        uow,
        RightsEvent.EXPORT_READ,
        resource=request_resource(request.id),
        details={"format": fmt, "by": who, "size": row.size},
    )
    filename = f"klaremont-{request.kind.value}-{request.reference}.{fmt}"
    return Artifact(fmt, row.media_type, filename, content)


def issue_link(uow: UnitOfWork, request: RightsRequest) -> str:
    """Mail a download link to the address on the account; returns the token (shown nowhere)."""
    token = new_token()
    now = uow.clock.now()
    uow.session.add(
        DownloadLink(
            request_id=request.id,
            subject_id=request.subject_id,
            token_digest=token_digest(uow, token),
            created_at=now,
            expires_at=now + LINK_VALID,
            uses=0,
            max_uses=LINK_USES,
        )
    )
    try:
        address = account_address(uow, request)
    except NotFound:
        return token  # no address on file: the signed-in privacy centre is the channel
    outbox_for(uow).send(
        uow,
        subject_id=request.subject_id,
        to_address=address,
        mail=download_mail(request.reference, token),
    )
    uow.session.flush()
    return token


def by_token(
    uow: UnitOfWork,
    request_id: uuid.UUID,
    token: str,
    fmt: str,
    *,
    subject_id: uuid.UUID | None = None,
) -> Artifact:
    """The copy behind a mailed link (and, when signed in, only the owner's)."""
    gone = NotFound("this link is not valid: it may have expired or been used up")
    if not token or len(token) > 128:  # noqa: PLR2004 - far longer than any token we issue
        raise gone
    link = uow.session.scalars(
        select(DownloadLink)
        .where(DownloadLink.token_digest == token_digest(uow, token))
        .with_for_update()
    ).first()
    now = uow.clock.now()
    if (
        link is None
        or link.request_id != request_id
        or (subject_id is not None and link.subject_id != subject_id)
        or link.expires_at <= now
        or link.uses >= link.max_uses
    ):
        raise gone
    link.uses += 1
    link.last_used_at = now
    return _open(uow, service.get(uow, request_id), fmt, "link")


def for_owner(uow: UnitOfWork, subject_id: uuid.UUID, request_id: uuid.UUID, fmt: str) -> Artifact:
    """A signed-in person's own copy."""
    return _open(uow, service.get_owned(uow, subject_id, request_id), fmt, "owner")


def for_staff(uow: UnitOfWork, request_id: uuid.UUID, fmt: str) -> Artifact:
    """Staff with the export permission (the route checks it)."""
    return _open(uow, service.get(uow, request_id), fmt, "staff")


def purge_expired(uow: UnitOfWork) -> int:
    """Delete copies and links older than :data:`EXPORT_KEPT`; returns how many copies."""
    cutoff = uow.clock.now() - EXPORT_KEPT
    uow.session.execute(delete(DownloadLink).where(DownloadLink.expires_at < cutoff))
    result = uow.session.execute(delete(ExportArtifact).where(ExportArtifact.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
