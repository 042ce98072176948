"""Marketing consent in the staff console: a person's choices and history, the audience.

Thin over the same services as ``/api/consent``: a person's consent is
:func:`~klaremont.consent.reads.read_subject_consent` (purpose-checked and audited there;
the history only for a purpose that may read consent records), the audience is
:func:`~klaremont.consent.reads.read_audience` (read for marketing, audited), counts only.
A person is found by their customer reference and a purpose chosen first, as on the
customer pages. The state is worded so nobody misreads it: an objection or a restriction
is said in words above the channels, never shown as channels marked yes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from klaremont.consent.objection import effective
from klaremont.consent.permissions import ConsentPermission
from klaremont.consent.reads import read_audience, read_subject_consent
from klaremont.customers.access import Access
from klaremont.customers.service import find_customer
from klaremont.customers.web.words import (
    PURPOSE_WORDS,
    day,
    parse_purpose,
    purpose_choices,
    refusal_words,
)
from klaremont.errors import NotFound, PurposeRefused
from klaremont.policy.model import DataCategory
from klaremont.policy.purposes import MarketingChannel, Purpose
from klaremont.purposes.register import REGISTER
from klaremont.staff.web.guard import require
from klaremont.staff.web.principal import StaffPrincipal
from klaremont.web.deps import UowDep, finish
from klaremont.web.render import render

if TYPE_CHECKING:
    from klaremont.consent.reads import SubjectConsent

router = APIRouter(prefix="/staff", include_in_schema=False)

ReadPage = Annotated[StaffPrincipal, Depends(require(ConsentPermission.CONSENT_READ, page=True))]
#: Purposes that may read a person's marketing choices (the register says which).
CONSENT_PURPOSES = tuple(
    p
    for p, spec in REGISTER.items()
    if spec.categories & {DataCategory.MARKETING_PREFERENCES, DataCategory.CONSENT_RECORDS}
)
CHANNEL_WORDS = {
    MarketingChannel.EMAIL: "E-mail",
    MarketingChannel.POST: "Post",
    MarketingChannel.PHONE: "Phone",
    MarketingChannel.SMS: "Text message",
}
REFERENCE_MAX = 16


def _audience(staff: StaffPrincipal, uow: UowDep) -> list[tuple[str, int]] | None:
    """How many people each channel may reach now (each count an audited read), for staff
    who may send marketing; ``None`` for everyone else."""
    if ConsentPermission.MARKETING_SEND not in staff.permissions:
        return None
    access = Access(Purpose.MARKETING, staff.roles)
    return [
        (CHANNEL_WORDS[channel], len(read_audience(uow, channel, access)))
        for channel in MarketingChannel
    ]


def _landing(
    staff: StaffPrincipal,
    uow: UowDep,
    *,
    status_code: int = 200,
    error: str | None = None,
    reference: str = "",
) -> HTMLResponse:
    audience = _audience(staff, uow)
    finish(uow)
    return render(
        "staff/consent.html",
        status_code=status_code,
        staff=staff,
        choices=purpose_choices(staff.roles, CONSENT_PURPOSES),
        audience=audience,
        error=error,
        reference=reference,
    )


@router.get("/consent")
def consent_page(staff: ReadPage, uow: UowDep) -> HTMLResponse:
    """Look a person up (reference and purpose); the audience counts for marketing senders."""
    return _landing(staff, uow)


def _channels(read: SubjectConsent) -> list[dict[str, Any]]:
    in_force = effective(read.marketing, read.standing)
    rows = []
    for channel in MarketingChannel:
        history = [
            {
                "when": day(e.recorded_at),
                "granted": e.granted,
                "how": f"{e.method} via {e.source}".replace("_", " "),
                "notice": e.notice_version,
            }
            for e in read.history or ()
            if e.kind == "marketing" and e.item == channel.value
        ]
        rows.append(
            {
                "channel": CHANNEL_WORDS[channel],
                "recorded": read.marketing.get(channel),
                "now": in_force.get(channel, False),
                "history": history,
            }
        )
    return rows


@router.get("/consent/person")
def consent_person_page(
    staff: ReadPage, uow: UowDep, reference: str = "", purpose: str = ""
) -> HTMLResponse:
    """One person's marketing choices (and history, for a legal obligation), audited."""
    wanted = parse_purpose(purpose)
    reference = reference.strip().upper()
    problems = []
    if wanted is None:
        problems.append("Why you need it: choose why you are looking this person up")
    if not reference or len(reference) > REFERENCE_MAX or not reference.isalnum():
        problems.append("Customer reference: letters and digits, like C0000001")
    if problems or wanted is None:
        return _landing(
            staff, uow, status_code=422, error="; ".join(problems), reference=reference[:16]
        )
    try:
        subject_id = find_customer(uow, reference).subject_id
        read = read_subject_consent(uow, subject_id, Access(wanted, staff.roles))
    except NotFound:
        return _landing(
            staff,
            uow,
            status_code=404,
            error="No customer has that reference.",
            reference=reference,
        )
    except PurposeRefused as exc:
        finish(uow)
        return render(
            "staff/consent_person.html",
            status_code=403,
            staff=staff,
            reference=reference,
            purpose_words=PURPOSE_WORDS[wanted],
            refused=refusal_words(exc, wanted),
        )
    finish(uow)
    standing = read.standing
    return render(
        "staff/consent_person.html",
        staff=staff,
        reference=reference,
        purpose_words=PURPOSE_WORDS[wanted],
        refused=None,
        objected_on=day(standing.objected_at) if standing.objected_at else None,
        restricted=standing.restricted,
        erased=standing.erased,
        channels=_channels(read),
        history_shown=read.history is not None,
        cookies=[(str(k).replace("_", " "), v) for k, v in read.cookies.items()],
    )
