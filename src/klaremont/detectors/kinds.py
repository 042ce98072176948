"""What the discovery scanner looks for: each kind of finding, its severity and its mask.

A finding never carries the value it found. :func:`masked` turns a confirmed value into the
sample a report may show: a card number's last four digits (IS-SENS-MASK), a key name for a
secret or a card code, an e-mail's first letter and domain, a phone number's last three
digits, a postcode's outward code. Nothing else of the value leaves the detector.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from klaremont.detectors.cards import MASK_PREFIX, TRACK_MASK

DOT: Final = "•"


class Group(StrEnum):
    """Families of detectors a scan can be limited to (``--detect``)."""

    CARDS = "cards"
    SECRETS = "secrets"
    PERSONAL = "personal"


class Severity(StrEnum):
    """How serious a finding is: card data and secrets are critical, personal data a review."""

    CRITICAL = "critical"
    HIGH = "high"
    REVIEW = "review"
    INFO = "info"


class Kind(StrEnum):
    """One kind of finding."""

    CARD = "card-number"
    TEST_CARD = "test-card-number"
    TRACK = "track-data"
    CARD_CODE = "card-code"
    SECRET = "secret"  # noqa: S105 - the name of a kind of finding, not a password
    EMAIL = "email"
    PHONE = "uk-phone"
    POSTCODE = "uk-postcode"
    BIRTH_DATE = "date-of-birth"
    NI_NUMBER = "ni-number"
    BANK_ACCOUNT = "bank-account"

    @property
    def group(self) -> Group:
        """The detector family this kind belongs to."""
        return _GROUP[self]

    @property
    def severity(self) -> Severity:
        """How serious a finding of this kind is."""
        return _SEVERITY[self]

    @property
    def label(self) -> str:
        """The kind as people read it in a report."""
        return _LABEL[self]

    @property
    def is_card_data(self) -> bool:
        """True for live cardholder data: a card number, track data or a card code."""
        return self in CARD_DATA


CARD_DATA: Final = frozenset({Kind.CARD, Kind.TRACK, Kind.CARD_CODE})
_GROUP: Final = {
    Kind.CARD: Group.CARDS,
    Kind.TEST_CARD: Group.CARDS,
    Kind.TRACK: Group.CARDS,
    Kind.CARD_CODE: Group.CARDS,
    Kind.SECRET: Group.SECRETS,
    Kind.EMAIL: Group.PERSONAL,
    Kind.PHONE: Group.PERSONAL,
    Kind.POSTCODE: Group.PERSONAL,
    Kind.BIRTH_DATE: Group.PERSONAL,
    Kind.NI_NUMBER: Group.PERSONAL,
    Kind.BANK_ACCOUNT: Group.PERSONAL,
}
_SEVERITY: Final = {
    Kind.CARD: Severity.CRITICAL,
    Kind.TRACK: Severity.CRITICAL,
    Kind.CARD_CODE: Severity.CRITICAL,
    Kind.SECRET: Severity.HIGH,
    Kind.TEST_CARD: Severity.INFO,
} | {kind: Severity.REVIEW for kind, group in _GROUP.items() if group is Group.PERSONAL}
_LABEL: Final = {
    Kind.CARD: "Card number",
    Kind.TEST_CARD: "Published test card number",
    Kind.TRACK: "Magnetic-stripe track data",
    Kind.CARD_CODE: "Card security code (CVV/CVC)",
    Kind.SECRET: "Password or secret",
    Kind.EMAIL: "E-mail address",
    Kind.PHONE: "UK phone number",
    Kind.POSTCODE: "UK postcode",
    Kind.BIRTH_DATE: "Date of birth",
    Kind.NI_NUMBER: "National Insurance number",
    Kind.BANK_ACCOUNT: "Sort code and account number",
}


def masked(kind: Kind, value: str, *, key: str = "") -> str:  # noqa: PLR0911 - one mask per kind
    """The sample of ``value`` a report may show for a finding of ``kind``."""
    digits = "".join(c for c in value if c.isdigit())
    if kind in (Kind.CARD, Kind.TEST_CARD):
        return MASK_PREFIX + digits[-4:]
    if kind is Kind.TRACK:
        return f"{TRACK_MASK} {MASK_PREFIX}{digits[-4:]}" if len(digits) >= 4 else TRACK_MASK  # noqa: PLR2004 - last four
    if kind in (Kind.CARD_CODE, Kind.SECRET):
        return f"{key or 'value'}={DOT * 3}"
    if kind is Kind.EMAIL:
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}{DOT * 3}@{domain}"
    if kind is Kind.PHONE:
        return f"{DOT * 5} {DOT * 3}{digits[-3:]}"
    if kind is Kind.POSTCODE:
        compact = value.replace(" ", "")
        return f"{compact[:-3]} {DOT * 3}"
    if kind is Kind.NI_NUMBER:
        return f"{DOT * 2} {DOT * 2} {DOT * 2} {DOT * 2} {value.strip()[-1:]}"
    if kind is Kind.BANK_ACCOUNT:
        return f"{DOT * 2}-{DOT * 2}-{DOT * 2} {DOT * 4}{digits[-4:]}"
    return f"{DOT * 2}/{DOT * 2}/{DOT * 4}"  # a date of birth: nothing of it
