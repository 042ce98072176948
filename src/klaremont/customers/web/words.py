"""How the customer pages word purposes, refusals and processing state for staff.

Shared by the consent pages (which look people up the same way): a purpose is offered in
words a person understands, only the purposes the staff member's roles may use; a refusal
from the purpose check is said plainly, never as its code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from klaremont.clock import UK_TIME
from klaremont.policy.purposes import Purpose
from klaremont.staff.permissions import purposes_of

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date, datetime

    from klaremont.customers.view import RecordReview
    from klaremont.errors import PurposeRefused
    from klaremont.staff.permissions import Role

#: Each purpose as the select offers it ("why do you need this person's details?").
PURPOSE_WORDS: Final = {
    Purpose.ORDER_PROCESSING: "Dealing with an order (taking, paying, delivering, returning)",
    Purpose.SUPPORT: "Answering the customer's query or complaint",
    Purpose.INVOICING: "Issuing or checking an invoice",
    Purpose.MARKETING: "Marketing (special offers)",
    Purpose.LEGAL_OBLIGATION: "A legal obligation (a data request, court order or tax audit)",
    Purpose.SECURITY: "Keeping data secure (sign-in, audit, incidents)",
}

#: What a section not shown holds, in words.
CATEGORY_WORDS: Final = {
    "identity": "name and date of birth",
    "contact": "e-mail and phone numbers",
    "address": "addresses",
    "orders": "orders",
    "invoices": "invoices",
    "payment_cards": "saved cards",
    "marketing_preferences": "marketing choices",
    "support_contacts": "queries and complaints",
    "consent_records": "consent history",
}


def purpose_choices(roles: Iterable[Role], among: Iterable[Purpose]) -> list[tuple[str, str]]:
    """``(value, words)`` for each purpose in ``among`` the roles may use, in register order."""
    allowed = purposes_of(roles)
    wanted = set(among)
    return [(p.value, PURPOSE_WORDS[p]) for p in Purpose if p in allowed and p in wanted]


def parse_purpose(value: str | None) -> Purpose | None:
    """The purpose a form or link named, or ``None`` when none (or no known one) was."""
    try:
        return Purpose(value) if value else None
    except ValueError:
        return None


def day(when: date | datetime) -> str:
    """``06/12/2026`` (a date and time is taken in UK time first)."""
    if hasattr(when, "astimezone") and hasattr(when, "hour"):
        when = when.astimezone(UK_TIME)
    return when.strftime("%d/%m/%Y")


def birth_date(text: str) -> str:
    """A stored date of birth (``1997-05-01``) as ``01/05/1997``; anything else as it is."""
    year, _, rest = text.partition("-")
    month, _, day_of_month = rest.partition("-")
    if year.isdigit() and month.isdigit() and day_of_month.isdigit():
        return f"{day_of_month}/{month}/{year}"
    return text


def refusal_words(error: PurposeRefused, purpose: Purpose) -> str:
    """The purpose check's refusal as a sentence for staff."""
    why = PURPOSE_WORDS[purpose].split(" (")[0].lower()
    said = {
        "subject-restricted": (
            "Processing restricted: only storage allowed. Nothing about this person can be "
            f"shown for {why}; only a legal obligation may use the record."
        ),
        "subject-erased": "This person was erased: records are kept for legal obligations only.",
        "marketing-objection": "Objected to marketing: nothing is shown for marketing.",
        "marketing-veto": "No marketing consent: nothing is shown for marketing.",
        "role-purpose": f"Your role may not look customers up for {why}.",
        "role-category": f"Your role may not read what {why} needs.",
    }
    return said.get(error.reason or "", error.detail)


#: What a record's review clock counts from, in words.
BASIS_WORDS: Final = {
    "created": "when the account was opened; never confirmed since",
    "confirmed": "confirmed",
    "rectified": "corrected",
}


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def review_words(review: RecordReview) -> str:
    """A record's accuracy review in words: overdue by how long, or due when."""
    if review.days_left < 0:
        return f"Overdue by {_days(-review.days_left)}"
    if review.days_left == 0:
        return "Overdue: due today"
    if review.state == "due_soon":
        return f"Due soon: in {_days(review.days_left)}"
    return f"Up to date: due in {_days(review.days_left)}"
