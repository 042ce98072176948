"""The information an access copy must carry besides the data (UK GDPR Art. 15(1)-(2)).

Purposes and lawful bases, recipients, how long each category is kept (from the policy
file, legal holds included), where the data came from, the rights the person has, how to
complain to the ICO, and that no decision about them is automated. Built from the policy
and from what was actually found, so it says what is true of this person.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from klaremont import capabilities
from klaremont.policy.model import ACTION_WORDS, DataCategory

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from klaremont.platform import UnitOfWork
    from klaremont.policy.model import PolicyFile

#: extension point: ``(uow, categories) -> {"recipients": [...], "transfers": [...]} | None``
RECORD_POINT = "processing_record"
#: extension point: ``(uow, subject_id) -> [{"who", "why", ...}]``: recipients this person's
#: own data was actually given to (a disclosure to the police, a court), with any Art. 19
#: notices sent to them
SUBJECT_POINT = "subject_recipients"

PURPOSES: tuple[tuple[str, str, str], ...] = (
    ("order_processing", "contract", "taking, paying for, delivering and supporting your orders"),
    ("invoicing", "legal_obligation", "issuing invoices and keeping them as the law requires"),
    ("marketing", "consent", "telling you about special offers, only if you have not opted out"),
    ("support", "legitimate_interest", "answering your queries and complaints"),
    ("legal_obligation", "legal_obligation", "meeting legal duties such as tax records"),
    ("security", "legitimate_interest", "keeping your account and our systems secure"),
    (
        "single_customer_view",
        "legitimate_interest",
        "combining what we hold about you into one picture to serve you better",
    ),
)
RECIPIENTS: tuple[tuple[str, str], ...] = (
    (
        "Our payment provider",
        "takes card payments; we keep only its token, the card brand, expiry and last four digits",
    ),
    (
        "IT support partners",
        "may see data only to resolve a technical issue, and must delete it once it is resolved",
    ),
    ("Public authorities", "only where the law requires it (for example HMRC for VAT records)"),
)
RIGHTS: tuple[tuple[str, str], ...] = (
    ("access", "a copy of the personal data we hold about you (this document)"),
    ("rectification", "to have out-of-date or incorrect data corrected"),
    ("erasure", "to have your data deleted where there is no legal reason to keep it"),
    ("restriction", "to have your data kept and secured but not otherwise used"),
    ("objection", "to stop marketing at any time, and to object to our holding your data"),
    ("portability", "your data in a structured, machine-readable form, or sent to another company"),
)
ICO = {
    "name": "Information Commissioner's Office",
    "address": "Wycliffe House, Water Lane, Wilmslow, Cheshire SK9 5AF",
    "telephone": "0303 123 1113",
    "website": "https://ico.org.uk/make-a-complaint/",
}
DPO_ROLE = "Data Protection Officer"


def retention(policy: PolicyFile, categories: Iterable[str]) -> list[dict[str, Any]]:
    """How long each category found is kept, and any legal hold on it."""
    rows: list[dict[str, Any]] = []
    for name in sorted(set(categories)):
        try:
            category = DataCategory(name)
        except ValueError:
            continue
        rule = policy.retention.rule(category)
        rows.append(
            {
                "category": category.value,
                "kept_for": str(rule.period),
                "kept_for_words": rule.period.words(),
                "counted_from": rule.after.replace("_", " "),
                "then": ACTION_WORDS[rule.action],
                "why": rule.justification,
                "legal_holds": [
                    {
                        "minimum": str(h.minimum),
                        "minimum_words": h.minimum.words(),
                        "basis": h.basis,
                    }
                    for h in policy.holds_for(category)
                ],
            }
        )
    return rows


def processing_record(
    uow: UnitOfWork, categories: Iterable[str], subject_id: uuid.UUID | None = None
) -> dict[str, Any] | None:
    """The recipients and transfers of this person's data from the record of processing
    (whoever answers ``processing_record``) and the recipients their own data was given to
    (``subject_recipients``), or ``None`` when nothing answers."""
    held = sorted(set(categories))
    recipients: list[dict[str, Any]] = []
    transfers: list[dict[str, Any]] = []
    given: list[dict[str, Any]] = []
    if subject_id is not None:
        for provider in capabilities.extensions(SUBJECT_POINT):
            given.extend(provider(uow, subject_id))
    answered = False
    for provider in capabilities.extensions(RECORD_POINT):
        found = provider(uow, held)
        if found is None:
            continue
        answered = True
        recipients.extend(found.get("recipients", []))
        transfers.extend(found.get("transfers", []))
    if not answered and not given:
        return None
    return {
        "recipients": recipients,
        "transfers": transfers,
        "given_to": given,
        "from_register": answered,
    }


def _recipients(record: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    given = list(record.get("given_to", [])) if record is not None else []
    if record is None or not record.get("from_register", True):
        return [*given, *({"who": who, "why": why} for who, why in RECIPIENTS)]
    authorities = RECIPIENTS[-1]
    return [*given, *record["recipients"], {"who": authorities[0], "why": authorities[1]}]


def _transfers(policy: PolicyFile, record: Mapping[str, Any] | None) -> Any:
    if record is None or not record["transfers"]:
        return f"none: all our servers are in the {policy.data_residency.country} (UK)"
    return record["transfers"]


def information(
    policy: PolicyFile,
    categories: Iterable[str],
    sources: Mapping[str, Mapping[str, int]],
    lawful_bases: Iterable[str],
    record: Mapping[str, Any] | None = None,
    *,
    public_url: str = "",
) -> dict[str, Any]:
    """The Art. 15 information for one person; recipients and transfers from the record of
    processing when one answers (``record``), else the fixed text. The privacy centre is
    named by its full address (``public_url``): the copy is read as a file, away from it."""
    return {
        "controller": "Klaremont",
        "data_protection_officer": {
            "role": DPO_ROLE,
            "contact": f"through the privacy centre at {public_url.rstrip('/')}/privacy/ "
            "(sign in, then Requests), or by replying to the e-mail that brought this copy",
        },
        "purposes": [
            {"purpose": purpose, "lawful_basis": basis, "what_for": text}
            for purpose, basis, text in PURPOSES
        ],
        "lawful_bases_recorded_on_your_data": sorted(set(lawful_bases)),
        "recipients": _recipients(record),
        "transfers_outside_the_uk": _transfers(policy, record),
        "retention": retention(policy, categories),
        "sources": {table: dict(channels) for table, channels in sorted(sources.items())},
        "source_note": "all of it was collected from you, through the channels listed per table",
        "automated_decisions": "none: no decision about you is made by automated means alone",
        "your_rights": [{"right": right, "means": text} for right, text in RIGHTS],
        "complaints": ICO,
    }
