"""Keyed, deterministic fake values: the same source value and run key give the same fake.

Every choice is an HMAC-SHA256 of the value under a key derived from the run key, so the
same person looks the same in every table (joins still work) and, without the run key, the
mapping can be neither reversed nor recomputed. Values that must stay unique are mapped by
permutations, never by hash-and-truncate:

- row ids and keys (UUIDs): AES-128 on the 16 bytes, a keyed permutation of 128-bit values,
  cycle-walked past ids whose hex holds a run of digits a card scanner would read as a card
  number (alone or glued to the value stored beside it);
- decimal references and numbers: FF3-1 format-preserving encryption on the digits;
- e-mail addresses and user names: the source values ranked by their keyed digest (a keyed
  permutation of the values seen), the rank written into the fake value.

Formats are realistic and safe: UK names from short lists, e-mails on ``example.com``
(reserved, RFC 2606), telephone numbers in the ranges Ofcom keeps for drama, valid-format
UK postcodes, dates of birth moved by 1 to 180 days within their five-year age band, and
card tokens ending in the last four of a published test number.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import sys
import tomllib
import uuid
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import cache
from hashlib import blake2b
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from fastfpe import ff3_1

from klaremont.db.subjects import NOBODY
from klaremont.detectors.cards import TEST_NUMBERS, brand_of

#: A keyed digest of a text for verification (no plaintext is kept). In the usual case
#: the interpreter's string hash: SipHash-1-3 under the 128-bit key the interpreter drew
#: at random when it started (never stored, shared by the worker processes forked from
#: it), computed in C and cached on the string: about twenty times cheaper than a BLAKE2b
#: call from Python. A collision of two 64-bit digests would report a leak that is not
#: one (the copy is deleted: fails closed), never hide one.
Digest = int | bytes


def _interpreter_key_is_random() -> bool:
    """The interpreter drew its string-hash key at random (``PYTHONHASHSEED`` unset or
    ``random``): a fixed seed is a key anyone may know."""
    seed = os.environ.get("PYTHONHASHSEED", "")
    return bool(sys.flags.hash_randomization) and seed in {"", "random"}


DOMAIN: Final = "example.com"
DOB_WINDOW_DAYS: Final = 180
AGE_BAND_YEARS: Final = 5
_DIGITS: Final = "0123456789"
_FF3_MIN_DIGITS: Final = 6  # FF3-1 with radix 10 needs a domain of at least a million
_DATA: Final = Path(__file__).with_name("names.toml")

#: Ofcom's numbers for drama: (prefix, digits after it), e.g. 07700 900000-900999.
DRAMA_RANGES: Final = (
    ("07700 900", 3),
    ("020 7946 0", 3),
    ("0113 496 0", 3),
    ("0114 496 0", 3),
    ("0115 496 0", 3),
    ("0116 496 0", 3),
    ("0117 496 0", 3),
    ("0118 496 0", 3),
    ("0121 496 0", 3),
    ("0131 496 0", 3),
    ("0141 496 0", 3),
    ("0151 496 0", 3),
    ("0161 496 0", 3),
    ("0191 498 0", 3),
    ("01632 960", 3),
)
MOBILE_RANGE: Final = ("07700 900", 3)


@cache
def word_lists() -> dict[str, tuple[str, ...]]:
    """The UK name, street and town lists (``names.toml`` beside this module)."""
    data = tomllib.loads(_DATA.read_text(encoding="utf-8"))
    return {key: tuple(values) for key, values in data.items()}


@cache
def _test_cards() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((brand_of(n) or "", n) for n in TEST_NUMBERS))


class Faker:
    """Every keyed fake of one run (one run key)."""

    def __init__(self, run_key: bytes, *, interpreter_keyed: bool | None = None) -> None:
        """Derive a sub-key for each use from ``run_key`` (never stored). Verification
        digests are the interpreter's keyed string hash unless ``interpreter_keyed`` is
        ``False`` or the interpreter's hash key was fixed (``PYTHONHASHSEED``): then
        BLAKE2b under a key derived from the run key."""
        if len(run_key) < 16:  # noqa: PLR2004 - 128 bits at least
            msg = "the run key must be at least 16 bytes"
            raise ValueError(msg)
        self._mac_key = self._derive(run_key, b"hmac")
        self._verify_key = self._derive(run_key, b"verify")
        aes = Cipher(algorithms.AES(self._derive(run_key, b"uuid")[:16]), modes.ECB())  # noqa: S305 - one block: a permutation of 128-bit ids, not a message mode
        self._uuid_cipher = aes
        self._ff3_key = self._derive(run_key, b"ff3-1")[:16].hex()
        self._ff3_tweak = self._derive(run_key, b"ff3-1 tweak")[:7].hex()
        self._numbers: dict[str, str] = {}
        self._shuffles: dict[int, tuple[list[int], list[int]]] = {}
        self._started: dict[str, Any] = {}  # namespace -> BLAKE2b state after its prefix
        #: the keyed digest verification compares values by (see :data:`Digest`)
        self.verify_digest: Callable[[str], Digest] = (
            hash if interpreter_keyed is not False and _interpreter_key_is_random()
            else self._verify_blake2b
        )  # fmt: skip
        self.ranks: dict[str, dict[bytes, int]] = {}

    @staticmethod
    def _derive(key: bytes, label: bytes) -> bytes:
        return hmac.new(key, b"klaremont sanitise v1\x00" + label, hashlib.sha256).digest()

    def digest(self, namespace: str, value: object) -> bytes:
        """The keyed digest (BLAKE2b, 32 bytes) of ``value`` in ``namespace``."""
        data = value if isinstance(value, bytes) else str(value).encode()
        started = self._started.get(namespace)
        if started is None:  # the key and the namespace absorbed once, copied for each value
            started = self._started[namespace] = blake2b(key=self._mac_key)
            started.update(namespace.encode() + b"\x00")
        mac = started.copy()
        mac.update(data)
        return mac.digest()

    def sampled(self, key: bytes, share: float) -> bool:
        """In a keyed sample of ``share`` (0-1) of all keys: the same key and run key, the
        same answer; without the run key, who is in cannot be told."""
        drawn = int.from_bytes(self.digest("subset", key)[:8], "big")
        return drawn < share * 2**64

    def _verify_blake2b(self, text: str) -> bytes:
        return blake2b(text.encode(), key=self._verify_key, digest_size=16).digest()

    def _pick(self, namespace: str, value: object, choices: tuple[str, ...]) -> str:
        number = int.from_bytes(self.digest(namespace, value)[:8], "big")
        return choices[number % len(choices)]

    # ------------------------------------------------------------------ permutations
    def uuid(self, value: uuid.UUID) -> uuid.UUID:
        """A keyed permutation of 128-bit ids; the NOBODY subject stays itself."""
        found: uuid.UUID = self.uuids([value])[0]
        return found

    def uuids(self, values: Sequence[Any]) -> list[Any]:
        """:meth:`uuid` over a column: one AES call for the whole column (ECB on 16-byte
        blocks is the permutation, block by block), cycle-walked where the hex would read
        as a long run of digits. Each id keeps its form: a UUID, 32 hex digits or 36 with
        dashes."""
        present = [v for v in values if v is not None]
        if all(isinstance(v, str) for v in present):
            raw = bytes.fromhex("".join(present).replace("-", ""))
        else:
            raw = b"".join(
                v.bytes if isinstance(v, uuid.UUID) else bytes.fromhex(v.replace("-", ""))
                for v in present
            )
        ecb = self._uuid_cipher.encryptor()  # ECB: each block on its own, however many
        data = ecb.update(raw)
        # one line of 32 hex digits per id; the ids whose hex reads loud walk on, together
        lines = data.hex("\n", 16) if data else ""
        hexes = lines.split("\n") if lines else []
        walking = sorted(_loud_lines(lines))
        blocks = {at: data[16 * at : 16 * at + 16] for at in walking}
        while walking:
            again = ecb.update(b"".join(blocks[at] for at in walking))
            still = []
            for n, at in enumerate(walking):
                blocks[at] = again[16 * n : 16 * n + 16]
                hexes[at] = blocks[at].hex()
                if _LOUD_HEX.search(hexes[at]):
                    still.append(at)
            walking = still
        return _in_their_forms(values, present, hexes)

    def digits(self, value: str) -> str:
        """A keyed permutation of the decimal numbers of ``value``'s length with no fixed
        point: never the number itself, and two numbers never the same fake. It is the
        shift by one conjugated by a keyed permutation P of that domain, P(P^-1(n) + 1):
        P is FF3-1 from six digits up (its smallest domain is a million) and a keyed
        shuffle of the whole domain below."""
        found = self._numbers.get(value)
        if found is None:
            width = len(value)
            if width >= _FF3_MIN_DIGITS:
                key, tweak = self._ff3_key, self._ff3_tweak
                before = int(ff3_1.decrypt(key, tweak, _DIGITS, value))
                shifted = f"{(before + 1) % 10**width:0{width}d}"
                found = ff3_1.encrypt(key, tweak, _DIGITS, shifted)
            else:
                order, place = self._shuffle(width)
                found = f"{order[(place[int(value)] + 1) % len(order)]:0{width}d}"
            self._numbers[value] = found
        return found

    def _shuffle(self, width: int) -> tuple[list[int], list[int]]:
        """A keyed shuffle of the numbers of ``width`` digits (below six: at most 100,000
        of them) and each number's place in it, made once per width."""
        found = self._shuffles.get(width)
        if found is None:
            size = 10**width
            order = sorted(range(size), key=lambda n: self.digest(f"digits {width}", n))
            place = [0] * size
            for at, number in enumerate(order):
                place[number] = at
            found = self._shuffles[width] = (order, place)
        return found

    def reference(self, value: str) -> str:
        """Keep the letters and separators; the longest run of ASCII digits (the first of
        the longest) goes through :meth:`digits`, so the fake is never the reference itself
        and two references never share a fake. A value without a digit is kept as it is
        (verification then finds it unchanged and fails the copy, naming the column)."""
        best = None
        for run in _DIGIT_RUN.finditer(value):
            if best is None or run.end() - run.start() > best.end() - best.start():
                best = run
        if best is None:
            return value
        start, end = best.span()
        return value[:start] + self.digits(value[start:end]) + value[end:]

    def rank(self, namespace: str, value: str) -> int:
        """The value's place among every value of ``namespace`` ordered by keyed digest."""
        return self.ranks[namespace][self.digest(namespace, value)]

    def prepare_ranks(self, namespace: str, values: set[str]) -> None:
        """Rank the values of a unique namespace (call once, with every value, before use)."""
        digests = sorted(self.digest(namespace, v) for v in values)
        self.ranks[namespace] = {d: i for i, d in enumerate(digests)}

    # ------------------------------------------------------------------ people
    def first_name(self, value: object) -> str:
        """A UK first name."""
        return self._pick("first", value, word_lists()["first_names"])

    def last_name(self, value: object) -> str:
        """A UK surname."""
        return self._pick("last", value, word_lists()["surnames"])

    def full_name(self, value: object) -> str:
        """``First Last``."""
        return f"{self.first_name(value)} {self.last_name(value)}"

    def email(self, value: str) -> str:
        """A unique address on the reserved domain (unique through the rank)."""
        key = value.strip().casefold()
        first, last = self.first_name(key).lower(), self.last_name(key).lower()
        return f"{first}.{last}.{self.rank('email', key)}@{DOMAIN}"

    def username(self, value: str) -> str:
        """A unique lower-case user name (unique through the rank)."""
        key = value.strip().casefold()
        return f"{self.first_name(key).lower()}{self.rank('username', key)}"

    def phone(self, value: object, *, mobile: bool = False) -> str:
        """A number from a range Ofcom keeps for drama and fiction."""
        number = int.from_bytes(self.digest("phone", value)[:8], "big")
        prefix, width = MOBILE_RANGE if mobile else DRAMA_RANGES[number % len(DRAMA_RANGES)]
        return f"{prefix}{(number >> 8) % 10**width:0{width}d}"

    def postcode(self, value: object) -> str:
        """A valid-format UK postcode (outward code from the list, inward made up)."""
        outward = self._pick("postcode", value, word_lists()["postcode_areas"])
        number = int.from_bytes(self.digest("inward", value)[:4], "big")
        letters = "ABDEFGHJLNPQRSTUWXYZ"  # the letters an inward code may use
        first = letters[number % len(letters)]
        second = letters[(number // len(letters)) % len(letters)]
        return f"{outward} {number % 10}{first}{second}"

    def address_line(self, value: object) -> str:
        """``12 Mill Lane``."""
        number = int.from_bytes(self.digest("house", value)[:4], "big") % 180 + 1
        return f"{number} {self._pick('street', value, word_lists()['streets'])}"

    def town(self, value: object) -> str:
        """A UK town."""
        return self._pick("town", value, word_lists()["towns"])

    def date_of_birth(self, value: str) -> str:
        """Move the date by 1 to 180 days, staying inside its five-year age band: never the
        same date (a move that would leave the band goes the other way instead)."""
        born = date.fromisoformat(value.strip()[:10])
        drawn = int.from_bytes(self.digest("dob", value)[:4], "big")
        days = timedelta(days=drawn % DOB_WINDOW_DAYS + 1)
        band_start = date(born.year - born.year % AGE_BAND_YEARS, 1, 1)
        band_end = date(band_start.year + AGE_BAND_YEARS - 1, 12, 31)
        moved = born + days if drawn & 1 << 31 else born - days
        if not band_start <= moved <= band_end:
            moved = born - days if moved > band_end else born + days
        return moved.isoformat()

    def text(self, value: object) -> str:
        """Free text about a person: a neutral sentence, keyed so equal texts stay equal."""
        tag = self.digest("text", value)[:4].hex()
        return f"Sanitised text {tag}: the original was removed from this copy."

    def hex_digest(self, value: str) -> str:
        """A keyed hex string of the same length (digests, token hashes)."""
        seed = value
        while True:
            out = self.digest("hex", seed).hex()
            while len(out) < len(value):
                out += self.digest("hex+", out).hex()
            out = out[: len(value)]
            if quiet_hex(out):
                return out
            seed = out

    def mac(self, value: str) -> str:
        """A locally administered MAC address."""
        raw = bytearray(self.digest("mac", value.casefold())[:6])
        raw[0] = (raw[0] | 0x02) & 0xFE
        return ":".join(f"{b:02x}" for b in raw)

    def ip(self, value: str) -> str:
        """An address from the documentation range 192.0.2.0/24 (RFC 5737)."""
        return f"192.0.2.{self.digest('ip', value)[0] % 254 + 1}"

    # ------------------------------------------------------------------ cards
    def test_card(self, row_key: object, brand: str | None) -> str:
        """A published test card number, of the card's brand when one is published."""
        cards = _test_cards()
        same = tuple(n for b, n in cards if b == (brand or "").lower()) or tuple(
            n for _b, n in cards
        )
        return self._pick("card", row_key, same)

    def card_token(self, row_key: object, brand: str | None) -> str:
        """``tok_test_<hex>_<last four of a test number>``."""
        last4 = self.test_card(row_key, brand)[-4:]
        return f"tok_test_{self.digest('token', row_key)[:10].hex()}_{last4}"

    def actor(self, value: str) -> str:
        """An actor reference: ``kind:<uuid>`` or a bare uuid mapped by the id permutation;
        ``system:...`` kept; anything else treated as a user name."""
        kind, sep, rest = value.partition(":")
        target = rest if sep else value
        try:
            mapped = str(self.uuid(uuid.UUID(target)))
        except ValueError:
            if sep and kind == "system":
                return value
            mapped = self.username(target) if target else target
        return f"{kind}:{mapped}" if sep else mapped


_EDGE_DIGITS: Final = 5
_INNER_DIGITS: Final = 11
_DIGIT_RUN: Final = re.compile(r"[0-9]+")
_HEX_ID: Final = 32
_NOBODY_FORMS: Final = frozenset({NOBODY, NOBODY.hex, str(NOBODY)})
#: what quiet_hex refuses, in one search: 12+ digits anywhere, 6+ at either end
_LOUD_HEX: Final = re.compile(r"[0-9]{12}|^[0-9]{6}|[0-9]{6}$")
_DIGIT_MARKS: Final = str.maketrans("0123456789abcdef", "dddddddddd......")
_LINE: Final = 33  # 32 hex digits and a line break


def _loud_lines(lines: str) -> set[int]:
    """Which lines (32 hex digits each) :data:`_LOUD_HEX` refuses: the digits marked, then
    the three shapes found by plain substring search (no per-character regex)."""
    marked = "\n" + lines.translate(_DIGIT_MARKS) + "\n"
    found: set[int] = set()
    for pattern, shift in (("d" * 12, 1), ("\nd" + "d" * 5, 1), ("d" * 6 + "\n", 1)):
        at = marked.find(pattern)
        while at >= 0:
            found.add((at + shift - 1) // _LINE)
            at = marked.find(pattern, at + 1)
    return found


def _in_their_forms(values: Sequence[Any], present: list[Any], hexes: list[str]) -> list[Any]:
    """The permuted ids (``hexes``, one per value present) each in its value's form: a
    UUID, 32 hex digits or 36 with dashes; ``None`` and the NOBODY subject as they were."""
    if len(present) == len(values) and _NOBODY_FORMS.isdisjoint(present):
        first = present[0] if present else ""
        if isinstance(first, str) and all(len(v) == _HEX_ID for v in present):
            return hexes
    out: list[Any] = []
    made = iter(hexes)
    for value in values:
        if value is None:
            out.append(None)
            continue
        text = next(made)
        if value in _NOBODY_FORMS:
            out.append(value)
        elif isinstance(value, uuid.UUID):
            out.append(uuid.UUID(hex=text))
        elif len(value) == _HEX_ID:
            out.append(text)
        else:
            out.append(f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}")
    return out


def quiet_hex(text: str) -> bool:
    """True when no run of digits in ``text`` could read as a card number, even glued to
    the values stored beside it: at most 5 digits at either end, at most 11 inside."""
    for run in _DIGIT_RUN.finditer(text):
        edge = run.start() == 0 or run.end() == len(text)
        if len(run.group()) > (_EDGE_DIGITS if edge else _INNER_DIGITS):
            return False
    return True


def as_uuid(value: Any) -> uuid.UUID:
    """A UUID from what a driver returns (``uuid.UUID`` or text)."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
