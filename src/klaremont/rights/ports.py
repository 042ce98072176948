"""What the rights service needs from outside: an outbox for mail, and who a customer is.

:class:`Outbox` is the port; :class:`MailOutbox` plugs in the mail capability's database
outbox (:func:`klaremont.mail.service.enqueue`), whose templates carry only a code, a
reference or a link and whose guard refuses any personal value (IS-SENS-EMAIL). Another
outbox can be put in ``platform.extras["rights.outbox"]`` (tests never need to: the real
outbox table is read back).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from klaremont.mail import templates
from klaremont.mail.service import enqueue

if TYPE_CHECKING:
    from collections.abc import Iterable

    from klaremont.mail.templates import Mail
    from klaremont.platform import UnitOfWork

OUTBOX_EXTRA = "rights.outbox"
#: Where the privacy centre shows one request; download links add ``/download?token=...``.
REQUEST_PATH = "/privacy/requests/{reference}"


@dataclass(frozen=True, slots=True)
class CustomerIdentity:
    """A signed-in customer as the privacy centre knows them: their subject and account."""

    subject_id: uuid.UUID
    customer_id: uuid.UUID


class Outbox(Protocol):
    """Queues one message for one person, in the caller's transaction."""

    def send(
        self,
        uow: UnitOfWork,
        *,
        subject_id: uuid.UUID,
        to_address: str,
        mail: Mail,
        personal_values: Iterable[str] = (),
    ) -> uuid.UUID | None:
        """Queue ``mail`` to ``to_address`` (an address on the subject's account); its id."""
        ...


class MailOutbox:
    """The mail capability's outbox table."""

    def send(
        self,
        uow: UnitOfWork,
        *,
        subject_id: uuid.UUID,
        to_address: str,
        mail: Mail,
        personal_values: Iterable[str] = (),
    ) -> uuid.UUID | None:
        """Queue through :func:`klaremont.mail.service.enqueue`."""
        return enqueue(
            uow,
            subject_id=subject_id,
            to_address=to_address,
            mail=mail,
            personal_values=personal_values,
        ).id


def outbox_for(uow: UnitOfWork) -> Outbox:
    """The outbox plugged into the platform, or the mail capability's."""
    plugged = uow.platform.extras.get(OUTBOX_EXTRA)
    return plugged if plugged is not None else MailOutbox()


def request_path(reference: str) -> str:
    """The privacy-centre path of one request, by the reference the person reads."""
    return REQUEST_PATH.format(reference=reference)


def download_path(reference: str, token: str) -> str:
    """The privacy-centre path of a request's download, carrying its one secret token."""
    return f"{request_path(reference)}/download?token={token}"


def verification_mail(code: str, valid_minutes: int) -> Mail:
    """The identity-code message."""
    return templates.VerificationCode(code=code, valid_minutes=valid_minutes)


def received_mail(reference: str) -> Mail:
    """The acknowledgement of a new request."""
    return templates.RequestReceived(reference=reference, path=request_path(reference))


def updated_mail(reference: str) -> Mail:
    """News about a request: done, refused or extended."""
    return templates.RequestUpdated(reference=reference, path=request_path(reference))


def download_mail(reference: str, token: str) -> Mail:
    """The copy is ready: a link carrying the download token."""
    return templates.DownloadReady(reference=reference, path=download_path(reference, token))


def paused_mail(reference: str, need: str) -> Mail:
    """The clock is stopped until the requester sends what is needed (a fixed sentence)."""
    return templates.RequestPaused(reference=reference, need=need, path=request_path(reference))


def resumed_mail(reference: str) -> Mail:
    """The clock runs again."""
    return templates.RequestResumed(reference=reference, path=request_path(reference))
