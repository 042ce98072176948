"""What a customer reads when something is wrong: plain English, no developer wording.

Errors are built for developers and scripts (field names, validator messages, clause
ids); the API keeps that. Wherever a customer reads an error -- a privacy-centre form or
an error page of the privacy centre -- :func:`customer_text` says it in plain English:
field labels instead of field names, validator messages rewritten, and no clause ids,
ids or codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from klaremont.errors import FieldProblem, KlaremontError

FIELD_LABELS = {
    "kind": "what you would like us to do",
    "email": "your e-mail address",
    "password": "your password",
    "code": "the code",
    "handle": "the code form",
    "message": "your message",
    "field": "the detail to correct",
    "value": "the right value",
    "request_id": "the request",
    "fmt": "the download format",
    "token": "the download link",
    "csrf_token": "the form",
    "next": "the page to return to",
}

_CLAUSE = re.compile(r"\s*\(?\b(?:PP|DP|IS|SP)-[A-Z0-9]+(?:-[A-Z0-9]+)*\b\)?")
_UUID = re.compile(
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
)
_AT_MOST = re.compile(r"at most (\d+) characters?")
_AT_LEAST = re.compile(r"at least (\d+) characters?")

TITLES = {
    400: "Something went wrong with the form",
    401: "Please sign in",
    403: "That is not possible here",
    404: "Not found",
    409: "Already in hand",
    422: "Please check what you entered",
    429: "Please wait a moment",
}

#: what to say when the error says no more than its title (the framework's "Not Found")
SAID_AGAIN = {
    404: "There is nothing at this address: the link may be old or mistyped.",
    405: "That cannot be done from this address.",
}

CARD_DATA = (
    "For your safety we do not accept card numbers or card security codes here, and "
    "nothing you sent was kept. Please remove them and try again: nothing on these pages "
    "needs them."
)


@dataclass(frozen=True)
class CustomerText:
    """A title and a message for a customer."""

    title: str
    message: str


def scrub(text: str) -> str:
    """Remove clause ids and internal ids from a sentence."""
    text = _CLAUSE.sub("", text)
    return _UUID.sub("this item", text).strip()


def label_of(field_name: str) -> str:
    """A field's plain-English name (the last part of a dotted name)."""
    last = field_name.rsplit(".", 1)[-1]
    return FIELD_LABELS.get(last, last.replace("_", " "))


def sentence(field_name: str, rule: str) -> str:  # noqa: PLR0911 - one sentence per kind of rule
    """One field and one rule as a sentence a customer reads."""
    label = label_of(field_name)
    lowered = rule.lower()
    if lowered.startswith("choose "):
        return f"Please {scrub(rule).rstrip('.')}."
    if lowered.startswith("field required") or lowered == "missing":
        return f"Please fill in {label}."
    if "valid uuid" in lowered:
        return f"The link to {label} is not complete. Please use the link or button on the page."
    if "valid email" in lowered or ("e-mail address" in lowered and "valid" in lowered):
        return "Please enter a valid e-mail address."
    found = _AT_MOST.search(lowered)
    if found:
        return f"{_capital(label)} is too long: please use at most {found.group(1)} characters."
    found = _AT_LEAST.search(lowered)
    if found:
        return f"{_capital(label)} is too short: please use at least {found.group(1)} characters."
    if lowered.startswith(("input should", "value error", "string should", "value is not")):
        return f"Please check {label}."
    return f"{_capital(label)}: {scrub(rule).rstrip('.')}."


def customer_text(
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None,
    problems: Sequence[FieldProblem] = (),
) -> CustomerText:
    """The title and message a customer sees for one error."""
    if code == "card-data-refused":
        return CustomerText("Please do not send card details", CARD_DATA)
    nice_title = TITLES.get(status, scrub(title))
    if problems:
        return CustomerText(nice_title, " ".join(sentence(p.field, p.rule) for p in problems))
    message = scrub(detail or title)
    if message.casefold() in {nice_title.casefold(), title.casefold()}:  # the title again
        message = SAID_AGAIN.get(status, message)
    return CustomerText(nice_title, message)


def of_error(error: KlaremontError) -> str:
    """The message for an error shown on a privacy-centre form."""
    return customer_text(
        status=error.status,
        code=error.code,
        title=error.title,
        detail=error.detail,
        problems=error.problems,
    ).message


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
