"""Decoys and clean lines for the discovery-scan corpus: what a scan must *not* report.

Decoys look like card data or personal data and are not: Luhn-invalid 13-19 digit numbers
with an issuer prefix, Luhn-valid numbers with no issuer prefix or a length their scheme
does not issue, digit runs of 20 or more, UUIDs and hex digests full of digits, ISO and
compact timestamps, epoch milliseconds, order ids, IP addresses, card numbers glued into
letters, truncated and masked card numbers, dates under keys that are not a birth date,
card-code look-alikes. Clean lines are what an application writes all day: timestamps,
levels, request ids (UUIDs and hex), paths, statuses, durations, byte counts, user ids.
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from klaremont.testing.scan_values import (
    Field,
    Values,
    brand_name,
    is_card,
    issuer_table,
    luhn_completed,
    luhn_ok,
    spell,
    spellings,
)

_HEX: Final = "0123456789abcdef"


def hex_id(values: Values, count: int) -> str:
    """``count`` lowercase hex characters with at least one letter (an id, never a number)."""
    text = "".join(values.rng.choices(_HEX, k=count))
    if text.isdigit():
        at = values.rng.randrange(count)
        text = text[:at] + values.rng.choice("abcdef") + text[at + 1 :]
    return text


def digit_heavy_uuid(values: Values) -> str:
    """A canonical UUID whose hex digits are nearly all decimal digits."""
    raw = "".join(values.rng.choices(string.digits * 6 + "abcdef", k=32))
    return str(uuid.UUID(raw))


class Decoys:
    """Seeded decoys, each a :class:`Field` marked with its decoy kind."""

    def __init__(self, values: Values) -> None:
        self.v = values
        self.r = values.rng

    def luhn_invalid(self) -> Field:
        """An issuer-prefixed 13-19 digit number whose check digit is wrong (any spelling).

        Written in groups of four with a short last group, its first sixteen digits are kept
        from being a card number themselves (see the xfail test on grouped windows in
        tests/scan/test_scan_corpus_truth.py).
        """
        while True:
            number, spelling = self.v.any_card()
            wrong = number[:-1] + str((int(number[-1]) + self.r.randint(1, 9)) % 10)
            if not (len(wrong) > 16 and spelling != "plain" and is_card(wrong[:16])):  # noqa: PLR2004 - four groups of four
                return Field("ref", spell(wrong, spelling), decoy="luhn-invalid")

    def no_issuer(self) -> Field:
        """A Luhn-valid 13-19 digit number starting 1, 7, 8 or 9 (no scheme issues those)."""
        length = self.r.randint(13, 19)
        body = self.r.choice("1789") + self.v.digits(length - 2)
        number = luhn_completed(body)
        spelling = self.r.choice(spellings(length))
        return Field("ref", spell(number, spelling), decoy="no-issuer-prefix")

    def wrong_length(self) -> Field:
        """A Luhn-valid number with a scheme's prefix but a length no scheme issues for it."""
        while True:
            prefix = self.r.choice(["4", "34", "37", "51", "55", "2221", "2720"])
            length = self.r.randint(13, 19)
            number = luhn_completed(prefix + self.v.digits(length - len(prefix) - 1))
            if not brand_name(number):
                return Field("txn", number, decoy="wrong-length")

    def long_run(self) -> Field:
        """A digit run of 20-26 digits (a bank or courier reference)."""
        return Field("reference", self.v.digits(self.r.randint(20, 26)), decoy="20-plus-digits")

    def uuid(self) -> Field:
        """A UUID full of decimal digits."""
        return Field("request_id", digit_heavy_uuid(self.v), decoy="uuid")

    def hex_digest(self) -> Field:
        """A hex digest holding a long digit run, even a card number, glued to hex letters."""
        number, _ = self.v.any_card()
        size = self.r.choice([40, 64])
        head = hex_id(self.v, self.r.randint(1, 6))
        tail = hex_id(self.v, size - len(head) - len(number))
        if tail[0].isdigit():
            tail = self.r.choice("abcdef") + tail[1:]
        if head[-1].isdigit():
            head = head[:-1] + self.r.choice("abcdef")
        return Field(self.r.choice(["sha256", "etag", "digest"]), head + number + tail, decoy="hex")

    def timestamp(self) -> Field:
        """An ISO 8601 timestamp, a compact timestamp or epoch milliseconds."""
        moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=self.r.randint(0, 30_000_000))
        value = self.r.choice(
            [
                moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{self.r.randint(0, 999_999):06d}Z",
                moment.strftime("%Y-%m-%d %H:%M:%S") + f",{self.r.randint(0, 999):03d}",
                moment.strftime("%Y%m%d%H%M%S") + f"{self.r.randint(0, 999):03d}",
                str(int(moment.timestamp() * 1000)),
            ]
        )
        return Field(self.r.choice(["ts", "created_at", "event_time"]), value, decoy="timestamp")

    def order_id(self) -> Field:
        """Shop, marketplace and supplier order ids."""
        value = self.r.choice(
            [
                f"KM-{self.v.digits(8)}",
                f"{self.v.digits(3)}-{self.v.digits(7)}-{self.v.digits(7)}",
                f"ORD{self.v.digits(13)}",
                f"PO-{self.r.randint(2020, 2026)}-{self.v.digits(7)}",
            ]
        )
        return Field("order_id", value, decoy="order-id")

    def ip_address(self) -> Field:
        """An IPv4 or IPv6 address."""
        octets = [self.r.randint(1, 254) for _ in range(4)]
        value = self.r.choice(
            [".".join(map(str, octets)), f"2001:db8:{self.r.randint(0, 9999)}::{octets[0]}"]
        )
        return Field(self.r.choice(["ip", "client_ip", "remote_addr"]), value, decoy="ip-address")

    def glued(self) -> Field:
        """A card number glued into a token of letters and digits (deliberately not a card)."""
        number, _ = self.v.any_card()
        value = self.r.choice(
            [f"ref{number}", f"{number}x", f"tok{number}ab", f"{self.v.digits(2)}{number}00"]
        )
        return Field("token", value, decoy="glued")

    def masked_card(self) -> Field:
        """A card number already masked or truncated (first six and last four at most)."""
        number, _ = self.v.any_card()
        value = self.r.choice(
            [
                f"**** **** **** {number[-4:]}",
                f"{number[:6]}******{number[-4:]}",
                f"XXXX-XXXX-XXXX-{number[-4:]}",
                f"{number[:6]}xxxxxx{number[-4:]}",
            ]
        )
        return Field("card", value, decoy="masked-card")

    def unkeyed_date(self) -> Field:
        """A date under a key that is not a birth date."""
        y, m, d = self.r.randint(1930, 2030), self.r.randint(1, 12), self.r.randint(1, 28)
        value = self.r.choice([f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}"])
        key = self.r.choice(["delivery_date", "created", "expires", "date", "dispatched"])
        return Field(key, value, decoy="date-without-birth-key")

    def bad_birth_date(self) -> Field:
        """A birth key with an impossible or future date."""
        value = self.r.choice(["2150-01-01", "1984-13-45", "31/02/1990", "1850-06-01"])
        return Field("dob", value, decoy="impossible-birth-date")

    def code_lookalike(self) -> Field:
        """A card-code-like key with no 3-4 digit value."""
        key, value = self.r.choice(
            [("cvv_present", "true"), ("cvv_length", "3"), ("cvv", "12345"), ("cvc_check", "pass")]
        )
        return Field(key, value, decoy="card-code-lookalike")

    def bad_ni(self) -> Field:
        """An NI-number shape with a prefix never issued."""
        prefix = self.r.choice(["GB", "BG", "NK", "TN", "ZZ"])
        return Field("ni_number", f"{prefix}{self.v.digits(6)}A", decoy="ni-bad-prefix")

    def all(self) -> tuple[Callable[[], Field], ...]:
        """Every decoy maker."""
        return (
            self.luhn_invalid,
            self.no_issuer,
            self.wrong_length,
            self.long_run,
            self.uuid,
            self.hex_digest,
            self.timestamp,
            self.order_id,
            self.ip_address,
            self.glued,
            self.masked_card,
            self.unkeyed_date,
            self.bad_birth_date,
            self.code_lookalike,
            self.bad_ni,
            self.v.masked_secret_decoy,
        )


#: Decoys whose digits a reader joins into one number (the others hold shapes of their own).
_JOINED: Final = frozenset({"luhn-invalid", "no-issuer-prefix", "wrong-length", "20-plus-digits"})


def check_decoy(field: Field) -> None:
    """Raise when a number decoy is, after all, a card or a published test number."""
    if field.decoy not in _JOINED:
        return
    digits = "".join(c for c in field.value if c.isdigit())
    if (13 <= len(digits) <= 19 and is_card(digits)) or digits in issuer_table()[1]:  # noqa: PLR2004 - PAN lengths
        msg = f"decoy {field.decoy} is a card number"
        raise AssertionError(msg)
    if field.decoy == "luhn-invalid" and luhn_ok(digits):
        msg = "a Luhn-invalid decoy passes Luhn"
        raise AssertionError(msg)


# --- clean lines --------------------------------------------------------------------------

_PATHS: Final = (
    "/api/v1/orders/{n}",
    "/api/v1/customers/{n}/addresses",
    "/api/v1/products/{sku}",
    "/basket/{hex}",
    "/checkout/session/{hex}",
    "/static/js/app.{hex}.js",
    "/health",
    "/api/v1/search?q=oak+table&page={small}",
    "/console/retention/runs",
)
_EVENTS: Final = (
    "cache hit key=product:{sku} ttl_s={small}",
    "db query table=orders rows={small} took_ms={ms}",
    "job retention.purge batch={small} rows={n} took_ms={ms}",
    "stock reserved sku={sku} qty={small} warehouse=wh-{small}",
    "webhook delivered id={hex} attempt={small}",
    "session refreshed user=u_{n} ttl_s=3600",
    "feature flag checkout_v2 on for cohort={small}",
)


@dataclass(slots=True)
class CleanLines:
    """Seeded lines with no finding in them, and the log prefix every line carries."""

    values: Values
    moment: datetime

    def prefix(self) -> str:
        """Timestamp, level, service and request ids (the clock moves forward)."""
        r = self.values.rng
        self.moment += timedelta(microseconds=r.randint(50, 40_000))
        stamp = self.moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        level = r.choices(["INFO", "DEBUG", "WARN", "ERROR"], weights=(70, 20, 7, 3))[0]
        service = r.choice(["web", "api", "worker", "checkout"])
        request = uuid.UUID(int=r.getrandbits(128), version=4)
        span = hex_id(self.values, 16)
        return f"{stamp} {level:<5} {service}[{r.randint(100, 32000)}] req={request} span={span}"

    def message(self) -> str:
        """What the application says (a request or an event)."""
        r = self.values.rng
        fill = {
            "n": str(r.randint(1000, 9_999_999)),
            "sku": f"KM-{r.randint(100000, 999999)}",
            "hex": hex_id(self.values, r.choice([8, 12, 32])),
            "small": str(r.randint(1, 99)),
            "ms": f"{r.random() * 300:.1f}",
        }
        if r.random() < 0.75:  # noqa: PLR2004 - three in four lines are requests
            path = r.choice(_PATHS).format(**fill)
            method = r.choices(["GET", "POST", "PUT", "DELETE"], weights=(70, 20, 7, 3))[0]
            status = r.choices([200, 201, 204, 302, 400, 404, 500], weights=(70, 8, 5, 5, 5, 5, 2))[
                0
            ]
            return (
                f"{method} {path} status={status} dur_ms={r.random() * 250:.2f} "
                f"bytes={r.randint(120, 250_000)} user=u_{r.randint(1000, 999_999)}"
            )
        return r.choice(_EVENTS).format(**fill)

    def log_line(self, extra: str = "") -> str:
        """A whole application log line, with ``extra`` fields appended."""
        return f"{self.prefix()} {self.message()}{' ' + extra if extra else ''}"
