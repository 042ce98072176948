"""The only mails Klaremont sends, and the guard that keeps personal data out of them.

Each template is a small frozen dataclass whose fields are a verification code, a
request reference or a link into the privacy centre, each checked against a strict
pattern. :func:`check_body` is the second line of defence: it refuses any body that
carries an e-mail address, a long digit run (phone or card number), a link other than
the template's own, or any of the personal values it is given (IS-SENS-EMAIL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

from klaremont.errors import ValidationFailed

if TYPE_CHECKING:
    from collections.abc import Iterable

_CODE = re.compile(r"[0-9]{6,10}")
_REFERENCE = re.compile(r"[A-Za-z0-9-]{4,40}")
_PATH = re.compile(r"/privacy/[A-Za-z0-9/_.?=&-]{0,200}")
_EMAIL_LIKE = re.compile(r"[^\s@]+@[^\s@]+")
_LONG_DIGITS = re.compile(r"(?:\d[ -]?){9,}")
_URL = re.compile(r"https?://[^\s]+")
MIN_PERSONAL_VALUE_CHARS = 3

FOOTER = (
    "\n\nThis message carries no personal details on purpose: sign in to the privacy "
    "centre to see them.\nIf you did not ask for this, you can ignore this message.\n"
    "Klaremont"
)


class PersonalDataInMail(ValidationFailed):
    """A mail body would carry personal data (IS-SENS-EMAIL)."""

    code = "personal-data-in-mail"
    title = "Personal data may not be sent by e-mail"


@dataclass(frozen=True)
class Rendered:
    """A rendered message: its template name, subject line and plain-text body."""

    template: str
    subject_line: str
    body: str
    safe_values: tuple[str, ...] = ()  # the checked code, reference and link it carries


class Mail(Protocol):
    """A template instance that renders to a message."""

    name: ClassVar[str]

    def render(self, public_url: str) -> Rendered:
        """The message, with links made absolute under ``public_url``."""
        ...


def _code(value: str) -> str:
    if not _CODE.fullmatch(value):
        raise ValidationFailed.single("code", "must be 6 to 10 digits")
    return value


def _reference(value: str) -> str:
    if not _REFERENCE.fullmatch(value):
        raise ValidationFailed.single("reference", "must be 4 to 40 letters, digits or dashes")
    return value


def _link(public_url: str, path: str) -> str:
    if not _PATH.fullmatch(path) or ".." in path or "//" in path:
        raise ValidationFailed.single("link", "must be a path inside /privacy/")
    return public_url.rstrip("/") + path


@dataclass(frozen=True)
class VerificationCode:
    """A one-time code proving the person holds the address on file."""

    name: ClassVar[str] = "verification_code"
    code: str
    valid_minutes: int

    def render(self, public_url: str) -> Rendered:
        """The message."""
        body = (
            "Hello,\n\nSomeone asked to make a privacy request with this address. "
            f"Your verification code is:\n\n    {_code(self.code)}\n\n"
            f"Enter it on the page that asked for it. It expires in {self.valid_minutes} "
            f"minutes and works once.\n\n{_link(public_url, '/privacy/')}" + FOOTER
        )
        return Rendered(
            self.name,
            "Your Klaremont verification code",
            body,
            (self.code, _link(public_url, "/privacy/")),
        )


@dataclass(frozen=True)
class RequestReceived:
    """A privacy request was recorded; the link shows its status after signing in."""

    name: ClassVar[str] = "request_received"
    reference: str
    path: str = "/privacy/requests"

    def render(self, public_url: str) -> Rendered:
        """The message."""
        body = (
            f"Hello,\n\nWe have recorded your privacy request {_reference(self.reference)}. "
            "We answer within one month. You can follow it here after signing in:\n\n"
            f"{_link(public_url, self.path)}" + FOOTER
        )
        safe = (self.reference, _link(public_url, self.path))
        return Rendered(self.name, "We received your privacy request", body, safe)


@dataclass(frozen=True)
class DownloadReady:
    """A copy of the person's data is ready to download after signing in."""

    name: ClassVar[str] = "download_ready"
    reference: str
    path: str = "/privacy/my-data"

    def render(self, public_url: str) -> Rendered:
        """The message."""
        body = (
            f"Hello,\n\nThe copy of your data for request {_reference(self.reference)} "
            "is ready. For your safety it is not attached: sign in and download it here:\n\n"
            f"{_link(public_url, self.path)}" + FOOTER
        )
        safe = (self.reference, _link(public_url, self.path))
        return Rendered(self.name, "Your data is ready to download", body, safe)


@dataclass(frozen=True)
class RequestUpdated:
    """A privacy request changed state (done, refused, extended)."""

    name: ClassVar[str] = "request_updated"
    reference: str
    path: str = "/privacy/requests"

    def render(self, public_url: str) -> Rendered:
        """The message."""
        body = (
            f"Hello,\n\nThere is news about your privacy request {_reference(self.reference)}. "
            f"Sign in to read it:\n\n{_link(public_url, self.path)}" + FOOTER
        )
        safe = (self.reference, _link(public_url, self.path))
        return Rendered(self.name, "An update on your privacy request", body, safe)


#: What a paused request waits for, in the requester's words (by the reason's value).
PAUSE_NEEDS: dict[str, str] = {
    "clarification": "we need you to tell us more precisely what your request is about "
    "(which information, or which of our activities)",
    "identification": "we need some information from you to confirm who you are",
    "other": "we need some further information from you, which we will explain when we contact you",
}


@dataclass(frozen=True)
class RequestPaused:
    """The clock of a privacy request is stopped until the requester answers (what is needed
    is one of :data:`PAUSE_NEEDS`: a fixed sentence, never the DPO's note)."""

    name: ClassVar[str] = "request_paused"
    reference: str
    need: str
    path: str = "/privacy/requests"

    def render(self, public_url: str) -> Rendered:
        """The message."""
        if self.need not in PAUSE_NEEDS:
            raise ValidationFailed.single("need", f"one of {', '.join(PAUSE_NEEDS)}")
        body = (
            f"Hello,\n\nBefore we can answer your privacy request "
            f"{_reference(self.reference)}, {PAUSE_NEEDS[self.need]}.\n\n"
            "Until we have it, the time we have to answer is on hold; it runs again from "
            "the day we receive it, and we will tell you when it does. You can follow your "
            f"request here after signing in:\n\n{_link(public_url, self.path)}" + FOOTER
        )
        safe = (self.reference, _link(public_url, self.path))
        return Rendered(
            self.name, "We need something from you for your privacy request", body, safe
        )


@dataclass(frozen=True)
class RequestResumed:
    """The clock of a paused privacy request runs again."""

    name: ClassVar[str] = "request_resumed"
    reference: str
    path: str = "/privacy/requests"

    def render(self, public_url: str) -> Rendered:
        """The message."""
        body = (
            f"Hello,\n\nThank you: we are working on your privacy request "
            f"{_reference(self.reference)} again, and the time we have to answer runs again "
            "from today. You can follow it here after signing in:\n\n"
            f"{_link(public_url, self.path)}" + FOOTER
        )
        safe = (self.reference, _link(public_url, self.path))
        return Rendered(self.name, "We are working on your privacy request again", body, safe)


_NAME = re.compile(r"[^\W\d_][\w .'-]{1,99}")
NOTICE_TEXT_MIN = 10
NOTICE_TEXT_MAX = 1500
NOTICE_FOOTER = (
    "\n\nThis message carries no personal details on purpose: sign in to the privacy "
    "centre to see what we hold about you.\nKlaremont"
)


def _notice_text(field: str, value: str) -> str:
    text = " ".join(value.split())
    if not NOTICE_TEXT_MIN <= len(text) <= NOTICE_TEXT_MAX:
        raise ValidationFailed.single(
            field, f"must be {NOTICE_TEXT_MIN} to {NOTICE_TEXT_MAX} characters"
        )
    return text


@dataclass(frozen=True)
class BreachNotice:
    """The notice of a personal data breach to a person it affects (UK GDPR Art. 34(2)):
    in plain words, the nature of the breach, the DPO and how to reach them, the likely
    consequences, and the measures taken or proposed, including what the person can do.

    The three texts are the ISO's, written for every affected person alike (never one
    person's details); the guard refuses any that carries an address, a long number or a
    link. The DPO is reached through the privacy centre's link."""

    name: ClassVar[str] = "breach_notice"
    reference: str
    nature: str
    consequences: str
    measures: str
    dpo_name: str
    path: str = "/privacy/"

    def render(self, public_url: str) -> Rendered:
        """The message."""
        if not _NAME.fullmatch(self.dpo_name):
            raise ValidationFailed.single("dpo_name", "must be a name (letters, 2 to 100)")
        link = _link(public_url, self.path)
        body = (
            "Hello,\n\nWe are writing to tell you about a security incident that affects "
            "personal data we hold about you (our reference "
            f"{_reference(self.reference)}).\n\n"
            f"What happened\n{_notice_text('nature', self.nature)}\n\n"
            "What this may mean for you\n"
            f"{_notice_text('consequences', self.consequences)}\n\n"
            "What we have done and what you can do\n"
            f"{_notice_text('measures', self.measures)}\n\n"
            "Who to contact\nOur Data Protection Officer, "
            f"{self.dpo_name}, answers any question about this incident and your data. "
            f"Write to them through our privacy centre:\n\n{link}\n\n"
            "You also have the right to complain to the Information Commissioner's Office."
            + NOTICE_FOOTER
        )
        return Rendered(
            self.name,
            "Important: a security incident affecting your personal data",
            body,
            (self.reference, link),
        )


def check_body(
    body: str,
    *,
    recipient: str,
    personal_values: Iterable[str] = (),
    safe_values: Iterable[str] = (),
) -> None:
    """Refuse a body carrying personal data; raises :class:`PersonalDataInMail`.

    ``safe_values`` (the template's own checked code, reference and links) are set aside
    before the pattern checks, so a request reference with many digits is not taken for a
    phone number. Personal values are looked for everywhere except inside those links
    (whose random tokens could contain a short name by chance).
    """
    safe = sorted(safe_values, key=len, reverse=True)
    links = [v for v in safe if v.startswith(("http://", "https://"))]
    reasons = []
    if _carries_value(_without(body, links), personal_values):
        reasons.append("a personal value of the recipient")
    rest = _without(body, safe)
    checks = (
        (bool(recipient) and recipient.casefold() in rest.casefold(), "the recipient's address"),
        (_EMAIL_LIKE.search(rest) is not None, "an e-mail address"),
        (_LONG_DIGITS.search(rest) is not None, "a long number (phone or card)"),
        (_URL.search(rest) is not None, "a link that is not one of the template's own"),
    )
    reasons += [reason for failed, reason in checks if failed]
    if reasons:
        raise PersonalDataInMail("mail body refused: it would carry " + ", ".join(reasons))


def _without(body: str, values: Iterable[str]) -> str:
    for value in values:
        body = body.replace(value, " ")
    return body


def _carries_value(body: str, personal_values: Iterable[str]) -> bool:
    lowered = body.casefold()
    for value in personal_values:
        text = value.strip().casefold()
        if len(text) >= MIN_PERSONAL_VALUE_CHARS and text in lowered:
            return True
    return False
