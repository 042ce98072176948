"""The support partner's deletion confirmation (PP-SUPPORT): a single-use, expiring link.

When a ticket is resolved the partner's contact address is sent, through the mail outbox,
a link to ``/partner/shares/confirm?token=...``. Only a keyed digest of the token is stored
(on the share's row, unique): a token names exactly one share, so a link made for share A
can never confirm share B. The link works until ``LINK_DAYS_AFTER_DUE`` days after the
deletion due date and once only; the confirmation records who (the name typed), the method
and when, and is audited under the processor as actor. No staff account is involved.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType, Outcome
from klaremont.detectors.free_text import plain
from klaremont.errors import Conflict, ValidationFailed
from klaremont.mail.service import enqueue
from klaremont.mail.templates import Rendered
from klaremont.processors import service, support
from klaremont.processors.actions import ProcessorAction
from klaremont.processors.models import NAME_MAX, Processor, SupportShare
from klaremont.processors.support import FIELD_WORDS, SupportField, partner_of, subject_for

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

LINK_DAYS_AFTER_DUE = 30
TOKEN_BYTES = 32
PATH = "/partner/shares/confirm"
TOKEN_MAX = 100


class DeletionMethod(StrEnum):
    """How the partner says the data was deleted."""

    DELETED = "deleted"
    ERASED = "securely_erased"
    DESTROYED = "media_destroyed"


METHOD_WORDS: dict[DeletionMethod, str] = {
    DeletionMethod.DELETED: "Deleted from our systems, mailboxes and tickets",
    DeletionMethod.ERASED: "Securely erased (overwritten) from the storage it was on",
    DeletionMethod.DESTROYED: "The storage media holding it were destroyed",
}


class LinkRefused(ValidationFailed):
    """The confirmation link is unknown, used or expired (the page says which in plain words)."""

    code = "link-refused"
    title = "This link cannot be used"


def _key(uow: UnitOfWork) -> bytes:
    secret = uow.platform.settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, b"klaremont/processors/support-confirm/v1", hashlib.sha256).digest()


def token_digest(uow: UnitOfWork, token: str) -> str:
    """The keyed digest of a confirmation token (the only form stored)."""
    return hmac.new(_key(uow), token.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class DeletionConfirmationRequest:
    """The mail to the partner: the ticket, the due date and the link; no personal data."""

    name: ClassVar[str] = "support_share_deletion"
    ticket: str
    due_on: str
    path: str

    def render(self, public_url: str) -> Rendered:
        """The message."""
        link = public_url.rstrip("/") + self.path
        body = (
            f"Hello,\n\nKlaremont's support ticket {self.ticket} has been resolved. Under our "
            "data processing agreement, please delete the data we shared with you for it by "
            f"{self.due_on}, then confirm here (the link works once):\n\n{link}\n\n"
            "Klaremont data protection"
        )
        return Rendered(
            self.name, "Please confirm deletion of shared data", body, (link, self.ticket)
        )


@dataclass(frozen=True)
class ErasureDeletionRequest:
    """The mail to the partner when a person in the share is erased: delete it now."""

    name: ClassVar[str] = "support_share_erasure_deletion"
    ticket: str
    due_on: str
    path: str

    def render(self, public_url: str) -> Rendered:
        """The message."""
        link = public_url.rstrip("/") + self.path
        body = (
            f"Hello,\n\nA person whose data we shared with you for Klaremont's support ticket "
            f"{self.ticket} has asked for it to be erased. Under our data processing "
            f"agreement, please delete all the data we shared with you for this ticket now "
            f"(by {self.due_on}), then confirm here (the link works once; any earlier link "
            f"for this ticket no longer works):\n\n{link}\n\nKlaremont data protection"
        )
        return Rendered(
            self.name, "Please delete shared data now: erasure", body, (link, self.ticket)
        )


def issue(
    uow: UnitOfWork,
    share: SupportShare,
    partner: Processor,
    mail: type[DeletionConfirmationRequest | ErasureDeletionRequest] = (
        DeletionConfirmationRequest
    ),
) -> str:
    """Make the share's link (replacing any earlier one: only the newest works), store its
    digest, queue the mail; the link's path."""
    if share.due_on is None or not partner.contact_email:  # pragma: no cover - checked earlier
        raise ValidationFailed.single("processor", "no due date or contact address")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    share.token_digest = token_digest(uow, token)
    share.link_expires_on = share.due_on + timedelta(days=LINK_DAYS_AFTER_DUE)
    path = f"{PATH}?token={token}"
    enqueue(
        uow,
        subject_id=subject_for(uow, partner),
        to_address=partner.contact_email,
        mail=mail(share.ticket, f"{share.due_on:%d/%m/%Y}", path),
    )
    return path


def _refuse(uow: UnitOfWork, why: str, rule: str, share: SupportShare | None) -> LinkRefused:
    resource = f"support-share:{share.reference}" if share else "support-share:unknown"
    uow.keep_only_refusal(
        lambda: uow.audit(
            ProcessorAction.SUPPORT_SHARE_LINK_REFUSED,
            Outcome.DENIED,
            resource=resource,
            details={"why": why},
        )
    )
    return LinkRefused(rule)


def by_token(uow: UnitOfWork, token: str) -> SupportShare:
    """The share this token confirms, if it is still usable; else :class:`LinkRefused`."""
    text = token.strip()
    share = None
    if text and len(text) <= TOKEN_MAX:
        share = uow.session.scalar(
            select(SupportShare).where(SupportShare.token_digest == token_digest(uow, text))
        )
    if share is None:
        raise _refuse(
            uow, "unknown", "This link is not one we sent, or it was copied wrongly.", None
        )
    if share.confirmed_at is not None:
        raise _refuse(
            uow, "used", "This link has already been used: the deletion is confirmed.", share
        )
    if share.link_expires_on is None or share.link_expires_on < uow.clock.now().date():
        raise _refuse(
            uow,
            "expired",
            "This link has expired. Please contact Klaremont's data protection officer.",
            share,
        )
    return share


@dataclass(frozen=True, slots=True)
class Summary:
    """What the partner's page shows of a share: plain words, no identifiers of people."""

    partner: str
    ticket: str
    people: int
    fields: list[str]
    pseudonymised: bool
    shared_on: str
    due_on: str


def summary(uow: UnitOfWork, share: SupportShare) -> Summary:
    """The share as the partner's page shows it."""
    return Summary(
        partner=partner_of(uow, share).name,
        ticket=share.ticket,
        people=len([c for c in share.customers.split(",") if c]),
        fields=[FIELD_WORDS[SupportField(f)] for f in share.fields.split(",") if f],
        pseudonymised=share.pseudonymised,
        shared_on=f"{(share.exported_at or share.opened_at):%d %B %Y}",
        due_on=f"{share.due_on:%d %B %Y}" if share.due_on else "",
    )


def confirm(
    uow: UnitOfWork, token: str, *, method: str, name: str, confirmed: bool
) -> SupportShare:
    """Record the partner's confirmation that the share's data is deleted (once, audited)."""
    share = by_token(uow, token)
    problems = []
    if method not in {m.value for m in DeletionMethod}:
        problems.append(ValidationFailed.single("method", "choose how the data was deleted"))
    if not confirmed:
        problems.append(ValidationFailed.single("confirmed", "tick the box to confirm"))
    if problems:
        raise problems[0]
    who = plain("name", name, max_length=NAME_MAX, min_length=2)
    partner = partner_of(uow, share)
    share.confirmed_at = uow.clock.now()
    share.confirmed_by = who
    share.confirmed_method = method
    uow.actor = Actor(ActorType.PROCESSOR, partner.key, partner.name)
    uow.audit(
        ProcessorAction.SUPPORT_SHARE_CONFIRMED,
        resource=f"support-share:{share.reference}",
        details={"ticket": share.ticket, "method": method, "late": share.due_on is not None
                 and share.due_on < share.confirmed_at.date()},
    )  # fmt: skip
    return share


def resolve(uow: UnitOfWork, reference: str) -> tuple[SupportShare, str]:
    """The ticket is resolved: set the deletion due date and mail the partner its single-use
    confirmation link. Returns the share and the link's path (shown once, never stored)."""
    share = support.find(uow, reference)
    if share.resolved_at is not None:
        raise Conflict(f"support share {share.reference} is already resolved")
    now = uow.clock.now()
    days = uow.policy.support_shares.deletion_days_after_resolution
    share.resolved_at = now
    share.resolved_by = service.who(uow)
    due = now.date() + timedelta(days=days)
    # an erasure may already have asked for deletion sooner: never push that date back
    share.due_on = min(share.due_on, due) if share.due_on is not None else due
    path = issue(uow, share, partner_of(uow, share))
    uow.audit(
        ProcessorAction.SUPPORT_SHARE_RESOLVED,
        resource=f"support-share:{share.reference}",
        details={"ticket": share.ticket, "due_on": share.due_on.isoformat()},
    )
    return share, path
