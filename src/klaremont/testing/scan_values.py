"""Values the discovery-scan corpus inserts, each with what a scan must report for it.

Card numbers of every brand, range and length in the issuer table
(``klaremont/detectors/card_brands.toml``, read here as data, with an own Luhn), in every
spelling the detectors read; the published test numbers; track 1 and track 2 data; card
codes, secrets and masked decoys; UK personal data; and decoys that look like card data
but are not. Every value is a :class:`Field` (a key, a value and the findings it holds):
the corpus writes fields as ``key=value`` in logs, as JSON members in JSON lines, and in a
CSV's notes column, always on boundaries of their own so the ground truth is exact.

Nothing here consults the detectors: the truth is built from the table and the rules.
"""

from __future__ import annotations

import random
import string
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Final

CARD: Final = "card-number"
TEST_CARD: Final = "test-card-number"
TRACK: Final = "track-data"
CARD_CODE: Final = "card-code"
SECRET: Final = "secret"  # noqa: S105 - the name of a kind of finding, not a password
EMAIL: Final = "email"
PHONE: Final = "uk-phone"
POSTCODE: Final = "uk-postcode"
BIRTH_DATE: Final = "date-of-birth"
NI_NUMBER: Final = "ni-number"
BANK_ACCOUNT: Final = "bank-account"
KINDS: Final = (CARD, TEST_CARD, TRACK, CARD_CODE, SECRET, EMAIL, PHONE, POSTCODE)
KINDS_ALL: Final = (*KINDS, BIRTH_DATE, NI_NUMBER, BANK_ACCOUNT)
CARD_KINDS: Final = frozenset({CARD, TEST_CARD, TRACK})


_NI_LETTERS = "ABCEGHJKLMNPRSTWXYZ"
#: valid National Insurance prefixes: HMRC never issues these seven pairs
_NI_PREFIXES = [
    a + b
    for a in _NI_LETTERS
    for b in _NI_LETTERS
    if a + b not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
]


@dataclass(frozen=True, slots=True)
class Truth:
    """One finding a field holds: its kind and, for card data, the number behind it."""

    kind: str
    number: str = ""  # card data only: the full number (kept in memory, never in the manifest)
    brand: str = ""
    spelling: str = ""

    @property
    def last4(self) -> str:
        """The last four digits of the card number ("" for other kinds)."""
        return self.number[-4:]


@dataclass(frozen=True, slots=True)
class Field:
    """A key and a value written together, the findings in it, or the decoy it is."""

    key: str
    value: str
    truths: tuple[Truth, ...] = ()
    decoy: str = ""  # the decoy's kind ("" for a field that holds findings)
    prose: bool = False  # written as ``key value`` in a log line (free text)


@dataclass(frozen=True, slots=True)
class Brand:
    """A card scheme from the issuer table."""

    name: str
    ranges: tuple[tuple[int, int], ...]
    lengths: tuple[int, ...]

    def matches(self, digits: str) -> bool:
        """True when ``digits`` has this scheme's length and one of its prefixes."""
        if len(digits) not in self.lengths:
            return False
        return any(
            low <= int(digits[: len(str(low))]) <= high
            for low, high in self.ranges
            if len(digits) >= len(str(low))
        )


@cache
def issuer_table() -> tuple[tuple[Brand, ...], tuple[str, ...]]:
    """The brands and the published test numbers, as the detectors' data file holds them."""
    text = resources.files("klaremont.detectors").joinpath("card_brands.toml").read_text()
    data = tomllib.loads(text)
    brands = tuple(
        Brand(
            str(item["name"]),
            tuple((int(low), int(high)) for low, high in item["ranges"]),
            tuple(int(n) for n in item["lengths"]),
        )
        for item in data["brand"]
    )
    return brands, tuple(str(n) for n in data["test_numbers"]["numbers"])


def brand_name(digits: str) -> str:
    """The first brand (in table order) whose prefix and length fit, or ""."""
    return next((b.name for b in issuer_table()[0] if b.matches(digits)), "")


def luhn_ok(digits: str) -> bool:
    """The Luhn check, written out independently of the detectors."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value  # noqa: PLR2004 - Luhn's digit sum
    return total % 10 == 0


def luhn_completed(body: str) -> str:
    """``body`` with the check digit that makes it pass Luhn."""
    return next(body + d for d in string.digits if luhn_ok(body + d))


def is_card(digits: str) -> bool:
    """True when ``digits`` is a card number: a brand's prefix and length, and Luhn."""
    return bool(brand_name(digits)) and luhn_ok(digits)


# --- spellings ----------------------------------------------------------------------------


def _groups(digits: str, sizes: tuple[int, ...], sep: str) -> str:
    parts, at = [], 0
    for size in sizes:
        parts.append(digits[at : at + size])
        at += size
    if at < len(digits):
        parts.append(digits[at:])
    return sep.join(p for p in parts if p)


def _fours(length: int) -> tuple[int, ...]:
    return (4,) * (length // 4)


#: Grouped spellings beyond groups of four, by length (4-6-5, 4-6-4, 4-4-5).
_SPECIAL: Final = {15: (4, 6, 5), 14: (4, 6, 4), 13: (4, 4, 5)}


def spellings(length: int) -> tuple[str, ...]:
    """Every spelling the detectors read for a number of ``length`` digits."""
    names = ["plain", "spaces-4", "dashes-4"]
    if length in _SPECIAL:
        shape = "-".join(map(str, _SPECIAL[length]))
        names += [f"spaces-{shape}", f"dashes-{shape}"]
    return tuple(names)


def spell(digits: str, spelling: str) -> str:
    """``digits`` written in ``spelling`` (see :func:`spellings`)."""
    if spelling == "plain":
        return digits
    sep = " " if spelling.startswith("spaces") else "-"
    shape = spelling.split("-", 1)[1]
    sizes = _fours(len(digits)) if shape == "4" else tuple(int(s) for s in shape.split("-"))
    return _groups(digits, sizes, sep)


# --- card data ----------------------------------------------------------------------------


@dataclass(slots=True)
class Values:
    """A seeded source of values and decoys."""

    rng: random.Random
    _used: set[str] = field(default_factory=set)

    def digits(self, count: int) -> str:
        """``count`` random digits."""
        return "".join(self.rng.choices(string.digits, k=count))

    def card(self, low_high: tuple[int, int], length: int) -> str:
        """A new live-looking card number in an issuer range, of ``length`` digits."""
        _, tests = issuer_table()
        while True:
            low, high = low_high
            prefix = str(self.rng.randint(low, high))
            number = luhn_completed(prefix + self.digits(length - len(prefix) - 1))
            if number not in tests and number not in self._used and brand_name(number):
                self._used.add(number)
                return number

    def any_card(self) -> tuple[str, str]:
        """A card number of a random brand, range and length, with its spelling."""
        brand = self.rng.choice(issuer_table()[0])
        length = self.rng.choice(brand.lengths)
        number = self.card(self.rng.choice(brand.ranges), length)
        return number, self.rng.choice(spellings(length))

    def card_field(self, number: str, spelling: str) -> Field:
        """A card number under a key (or in prose), as a finding of its kind."""
        kind = TEST_CARD if number in issuer_table()[1] else CARD
        truth = Truth(kind, number, brand_name(number), spelling)
        key = self.rng.choice(["card", "pan", "card_number", "cardNumber", "payment card"])
        return Field(key, spell(number, spelling), (truth,), prose=key == "payment card")

    def expiry(self) -> str:
        """A card expiry as YYMM."""
        return f"{self.rng.randint(24, 31):02d}{self.rng.randint(1, 12):02d}"

    def _discretionary(self, before: int) -> str:
        """Service code and discretionary data: the digit run after the separator is kept
        out of 13-19 digits (see tests/scan/test_scan_corpus_truth.py: the track-data
        test marked xfail shows why)."""
        total = self.rng.choice([*range(7, 13), *range(20, 24)])
        return self.digits(total - before)

    def track_field(self) -> Field:
        """Track 1 or track 2 data (with or without sentinels, ``=`` or ``D``)."""
        number, _ = self.any_card()
        expiry = self.expiry()
        tail = expiry + self._discretionary(len(expiry))
        variant = self.rng.randrange(5)
        if variant == 0:
            value, key = f";{number}={tail}?", "track2"
        elif variant == 1:
            value, key = f"{number}={tail}", "track_2"
        elif variant == 2:  # noqa: PLR2004 - the third variant
            value, key = f"{number}D{tail}", "t2"
        else:
            surname = self.rng.choice(["SMITH", "JONES", "PATEL", "OKAFOR", "NOWAK", "EVANS"])
            first = self.rng.choice(["JANE", "OMAR", "PRIYA", "LIAM", "ZOFIA", "SEAN"])
            start = "%B" if variant == 3 else "B"  # noqa: PLR2004 - the fourth variant
            value, key = f"{start}{number}^{surname}/{first}^{tail}?", "track1"
        return Field(key, value, (Truth(TRACK, number, brand_name(number), "track"),))

    def card_code_field(self) -> Field:
        """A 3-4 digit card code under a cvv/cvc/csc-like key."""
        key = self.rng.choice(
            ["cvv", "CVV", "cvv2", "cvc", "CVC2", "csc", "cvn", "security_code", "card_cvc"]
        )
        return Field(key, self.digits(self.rng.choice([3, 3, 3, 4])), (Truth(CARD_CODE),))

    def secret_field(self) -> Field:
        """A password, API key or token under a secret-like key."""
        key = self.rng.choice(
            ["password", "passwd", "api_key", "apiKey", "client_secret", "access_token", "pwd"]
        )
        value = self.rng.choice(string.ascii_lowercase) + "".join(
            self.rng.choices(string.ascii_lowercase + string.digits, k=self.rng.randint(8, 30))
        )
        return Field(key, value, (Truth(SECRET),))

    def masked_secret_decoy(self) -> Field:
        """A secret-like key whose value is already masked, a placeholder or empty: no finding."""
        key = self.rng.choice(["password", "api_key", "client_secret", "access_token"])
        value = self.rng.choice(
            ["***", "****", "********", "[REDACTED]", "<redacted>", "${API_KEY}", "null", "xxxx"]
        )
        return Field(key, value, decoy="masked-secret")

    # --- personal data --------------------------------------------------------------------

    def email_field(self) -> Field:
        """An e-mail address."""
        first = self.rng.choice(["jane", "omar", "priya", "liam", "zofia", "sean", "ade", "mei"])
        last = self.rng.choice(["smith", "jones", "patel", "okafor", "nowak", "evans", "li"])
        local = self.rng.choice(
            [
                f"{first}.{last}",
                f"{first}{self.digits(2)}",
                f"{first}_{last}+orders",
                first[0] + last,
            ]
        )
        domain = self.rng.choice(
            ["example.co.uk", "mail.example.com", "example.org", "post.example.net", "example.uk"]
        )
        return Field(
            self.rng.choice(["email", "customer_email", "to"]), f"{local}@{domain}", (Truth(EMAIL),)
        )

    def phone_field(self) -> Field:
        """A UK phone number: mobile, London, geographic, in national and +44 forms."""
        kind = self.rng.randrange(3)
        if kind == 0:
            body = f"7{self.rng.choice(['700', '400', '911', '123'])}{self.digits(6)}"
            a, b = body[:4], body[4:]
            national = [f"0{a} {b}", f"0{body}", f"0{a} {b[:3]} {b[3:]}"]
        elif kind == 1:
            body = f"20{self.rng.choice(['7946', '3123', '8123'])}{self.digits(4)}"
            a, b = body[:2], body[2:]
            national = [f"0{a} {b[:4]} {b[4:]}", f"0{body}"]
        else:
            area = self.rng.choice(["113", "161", "121", "131", "117", "1632"])
            body = area + self.digits(10 - len(area))
            a, b = area, body[len(area) :]
            national = [
                f"0{a} {b}",
                f"0{a}-{b[:3]}-{b[3:]}" if len(b) == 7 else f"0{a} {b}",  # noqa: PLR2004 - 7-digit local part
                f"0{body}",
            ]
        international = [f"+44{body}", f"+44 {a} {b}", f"+44 (0){a} {b}", f"0044 {a} {b}"]
        value = self.rng.choice(national + international)
        return Field(self.rng.choice(["phone", "mobile", "tel"]), value, (Truth(PHONE),))

    def postcode_field(self) -> Field:
        """A UK postcode in one of the six outward shapes, with or without the space."""
        first, second = "ABCDEFGHIJKLMNOPRSTUWYZ", "ABCDEFGHKLMNOPQRSTUVWXY"
        third, fourth = "ABCDEFGHJKPSTUW", "ABEHMNPRVWXY"
        inward_letters = "ABDEFGHJLNPQRSTUWXYZ"
        r = self.rng
        shape = r.randrange(6)
        outward = [
            f"{r.choice(first)}{r.randint(1, 9)}",
            f"{r.choice(first)}{r.randint(10, 99)}",
            f"{r.choice(first)}{r.randint(1, 9)}{r.choice(third)}",
            f"{r.choice(first)}{r.choice(second)}{r.randint(1, 9)}",
            f"{r.choice(first)}{r.choice(second)}{r.randint(10, 99)}",
            f"{r.choice(first)}{r.choice(second)}{r.randint(1, 9)}{r.choice(fourth)}",
        ][shape]
        inward = f"{r.randint(0, 9)}{r.choice(inward_letters)}{r.choice(inward_letters)}"
        value = f"{outward}{r.choice([' ', ' ', ''])}{inward}"
        return Field(r.choice(["postcode", "post_code", "zip"]), value, (Truth(POSTCODE),))

    def birth_date_field(self) -> Field:
        """A date of birth under a birth key (ISO or UK order), or in prose (``born ...``)."""
        r = self.rng
        y, m, d = r.randint(1930, 2008), r.randint(1, 12), r.randint(1, 28)
        value = r.choice(
            [
                f"{y}-{m:02d}-{d:02d}",
                f"{d:02d}/{m:02d}/{y}",
                f"{d:02d}.{m:02d}.{y}",
                f"{d:02d}-{m:02d}-{y}",
            ]
        )
        key = r.choice(["dob", "DOB", "date_of_birth", "birthDate", "birth_date", "born"])
        return Field(key, value, (Truth(BIRTH_DATE),), prose=key == "born")

    def ni_field(self) -> Field:
        """A National Insurance number, compact or in pairs."""
        r = self.rng
        prefix = r.choice(_NI_PREFIXES)
        body = self.digits(6)
        suffix = r.choice("ABCD")
        value = r.choice(
            [f"{prefix}{body}{suffix}", f"{prefix} {body[:2]} {body[2:4]} {body[4:]} {suffix}"]
        )
        return Field(r.choice(["ni_number", "nino", "NI"]), value, (Truth(NI_NUMBER),))

    def bank_field(self) -> Field:
        """A sort code with an account number."""
        code, account = self.digits(6), self.digits(8)
        dashed = f"{code[:2]}-{code[2:4]}-{code[4:]}"
        value = self.rng.choice(
            [f"{dashed} {account}", f"{dashed}/{account}", f"{dashed}, {account}"]
        )
        if self.rng.random() < 0.3:  # noqa: PLR2004 - a share of prose spellings
            return Field(
                "sort code", f"{dashed} account {account}", (Truth(BANK_ACCOUNT),), prose=True
            )
        return Field(self.rng.choice(["bank", "bank_details"]), value, (Truth(BANK_ACCOUNT),))
