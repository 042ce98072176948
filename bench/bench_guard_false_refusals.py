"""False refusals of the card-data guard on legitimate values, and its detection rate.

A seeded corpus of values that carry long digit runs but no card data -- parcel tracking
numbers (Royal Mail, DPD, UPS, DHL, USPS), IBANs (GB and other EU countries), order
numbers, UK phone numbers in every common spelling, UUIDs, hex tokens, timestamps, sort
codes with account numbers, ISO dates -- each kind a few thousand values, alone and inside
a sentence, is put to the guard's value check (the one card detector). The false-refusal
rate is printed per kind and overall. As a control, the same number of card numbers of
every brand and length, in every spelling the detector must see through, is checked too:
the detection rate must be 100 %. The check's throughput is printed for text with few
digits (the counting fast path), with order numbers and dates, and with long digit runs.

Run: .venv/bin/python bench/bench_guard_false_refusals.py [--quick]
"""

from __future__ import annotations

import random
import string
import sys
import time
import uuid
from collections.abc import Callable

from _common import record
from klaremont.detectors.card_fields import value_rule
from klaremont.detectors.cards import IBAN_LENGTHS, iban_valid
from klaremont.detectors.pan import BRANDS, brand_of, luhn_complete

QUICK = "--quick" in sys.argv
PER_KIND = 500 if QUICK else 3000
SEED = 20261206
rng = random.Random(SEED)


def digits(count: int) -> str:
    """``count`` random digits."""
    return "".join(rng.choice(string.digits) for _ in range(count))


def letters(count: int) -> str:
    """``count`` random capital letters."""
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(count))


def spaced(text: str, size: int = 4, sep: str = " ") -> str:
    """``text`` in groups of ``size`` joined by ``sep``."""
    return sep.join(text[i : i + size] for i in range(0, len(text), size))


def royal_mail() -> str:
    """UPU S10 (Royal Mail Tracked/Signed/International): two letters, 8+1 digits, GB."""
    body = digits(8)
    weights = (8, 6, 4, 2, 3, 5, 9, 7)
    check = 11 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
    check = {10: 0, 11: 5}.get(check, check)
    value = f"{letters(2)}{body}{check}GB"
    return rng.choice([value, f"{value[:2]} {value[2:6]} {value[6:11]} GB", value.lower()])


def dpd() -> str:
    """DPD UK parcel numbers: 14 digits (often grouped in fours)."""
    value = "15" + digits(12)
    return rng.choice([value, spaced(value), f"{value[:4]} {value[4:]}"])


def ups() -> str:
    """UPS: 1Z, shipper number, service, package number and check digit (18 characters)."""
    shipper = "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(6))
    value = f"1Z{shipper}{digits(2)}{digits(8)}"
    return rng.choice([value, spaced(value)])


def dhl() -> str:
    """DHL Express waybills: 10 digits; DHL Parcel UK: 'JD' and 18 digits."""
    return rng.choice([digits(10), f"JD{digits(18)}", f"JJD{digits(19)}"])


def usps() -> str:
    """USPS tracking numbers (parcels from the US): 22 digits starting 92-95, check digit last."""
    body = rng.choice(["9400", "9205", "9361", "9407", "9505"]) + digits(17)
    total = 3 * sum(map(int, body[-1::-2])) + sum(map(int, body[-2::-2]))
    value = body + str((10 - total % 10) % 10)
    return rng.choice([value, spaced(value)])


def _iban(country: str) -> str:
    bban = digits(IBAN_LENGTHS[country] - 4)
    if country == "GB":
        bban = letters(4) + digits(14)
    elif country in {"FR", "IT"}:
        bban = digits(IBAN_LENGTHS[country] - 6) + letters(2) if country == "FR" else bban
    rearranged = bban + country + "00"
    check = 98 - int("".join(str(int(c, 36)) for c in rearranged)) % 97
    value = f"{country}{check:02d}{bban}"
    assert iban_valid(value), value  # noqa: S101 - the corpus must be right
    return rng.choice([value, spaced(value)])


def iban_gb() -> str:
    """A GB IBAN, plain or printed in groups of four."""
    return _iban("GB")


def iban_eu() -> str:
    """An IBAN of an EU country (all-digit BBANs included), plain or grouped."""
    return _iban(rng.choice(["DE", "FR", "ES", "IT", "NL", "IE", "BE", "AT", "PT", "PL", "FI"]))


def order_number() -> str:
    """Shop, marketplace and supplier order numbers."""
    return rng.choice(
        [
            f"KM-{digits(8)}",
            f"ORD{digits(10)}",
            f"#{digits(7)}",
            f"{digits(3)}-{digits(7)}-{digits(7)}",  # marketplace style, 17 digits
            f"KM{rng.randint(2020, 2026)}-{digits(7)}",
            f"PO {digits(6)}/{digits(2)}",
        ]
    )


def uk_phone() -> str:
    """A UK phone number in every common spelling."""
    mobile = "7" + digits(9)
    london = "20" + digits(8)
    number = rng.choice([mobile, london])
    area, rest = (number[:4], number[4:]) if number[0] == "7" else (number[:2], number[2:])
    return rng.choice(
        [
            f"0{number}",
            f"0{area} {rest}",
            f"0{area} {rest[:3]} {rest[3:]}",
            f"+44{number}",
            f"+44 {area} {rest}",
            f"+44 (0){area} {rest}",
            f"+44 (0) {area} {rest}",
            f"0044 {area} {rest}",
            f"0044 (0){area} {rest}",
            f"(0{area}) {rest}",
            f"0{area}-{rest}",
            f"0{area}.{rest[:3]}.{rest[3:]}",
            f"+44-{area}-{rest}",
        ]
    )


def uuids() -> str:
    """A UUID in its canonical, upper-case or bare hex form."""
    value = uuid.UUID(int=rng.getrandbits(128), version=4)
    return rng.choice([str(value), str(value).upper(), value.hex])


def hex_token() -> str:
    """A hex digest or token (MD5, SHA-1, SHA-256 sizes)."""
    return "".join(rng.choice("0123456789abcdef") for _ in range(rng.choice([32, 40, 64])))


def timestamp() -> str:
    """ISO 8601 timestamps in several precisions, and epoch seconds and milliseconds."""
    year, month, day = rng.randint(2000, 2030), rng.randint(1, 12), rng.randint(1, 28)
    hour, minute, second = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    date = f"{year}-{month:02d}-{day:02d}"
    clock = f"{hour:02d}:{minute:02d}:{second:02d}"
    return rng.choice(
        [
            f"{date}T{clock}Z",
            f"{date} {clock}",
            f"{date}T{clock}.{digits(6)}Z",
            f"{date} {clock}.{digits(6)}+00:00",
            str(rng.randint(1_000_000_000, 1_999_999_999)),
            str(rng.randint(1_000_000_000_000, 1_999_999_999_999)),
        ]
    )


def sort_code_account() -> str:
    """A sort code and account number as people write them."""
    code, account = digits(6), digits(8)
    return rng.choice(
        [
            f"{code[:2]}-{code[2:4]}-{code[4:]} {account}",
            f"{code} {account}",
            f"sort code {code[:2]}-{code[2:4]}-{code[4:]}, account {account}",
            f"{code[:2]}-{code[2:4]}-{code[4:]}/{account}",
        ]
    )


def iso_date() -> str:
    """ISO dates, alone or next to other numbers."""
    date = f"{rng.randint(1900, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return rng.choice([date, f"{date} {digits(6)}", f"delivered {date}, parcel {digits(8)}"])


def unknown_long_reference() -> str:
    """A 20-24 digit reference of no known shape (another courier, a bank reference): the
    price of finding card numbers inside longer digit runs."""
    return digits(rng.randint(20, 24))


KINDS: dict[str, Callable[[], str]] = {
    "royal_mail": royal_mail,
    "dpd": dpd,
    "ups": ups,
    "dhl": dhl,
    "usps": usps,
    "iban_gb": iban_gb,
    "iban_eu": iban_eu,
    "order_number": order_number,
    "uk_phone": uk_phone,
    "uuid": uuids,
    "hex_token": hex_token,
    "timestamp": timestamp,
    "sort_code_account": sort_code_account,
    "iso_date": iso_date,
}
#: Measured and printed, but outside the overall rate: no shape tells it from a card number.
UNSHAPED: dict[str, Callable[[], str]] = {"unknown_long_reference": unknown_long_reference}
SENTENCES = ("{}", "Ref: {}", "parcel {} left with neighbour", "{}.", "({})")
SPELLINGS = (" ", "-", ".", "/", "_", "  ", "\u2013", "\n", "\t", "\u200b", "")


def card_number() -> str:
    """A card number of some brand and length, in one of the spellings, maybe glued."""
    brand = rng.choice(BRANDS)
    low, high = rng.choice(brand.ranges)
    prefix = str(rng.randint(low, high))
    length = rng.choice(sorted(brand.lengths))
    number = luhn_complete(prefix + digits(length - len(prefix) - 1))
    if brand_of(number) is None:
        return card_number()
    text = spaced(number, 4, rng.choice(SPELLINGS))
    return rng.choice([text, f"ref{text}", f"{text}x", f"99{number}00", f"card {text} exp 12/29"])


def rate(values: list[str]) -> tuple[int, float]:
    """How many values the guard refuses, and the share in per cent."""
    refused = sum(value_rule(v) is not None for v in values)
    return refused, round(100 * refused / len(values), 3)


def mb_per_second(text: str, rounds: int = 200) -> float:
    """How many megabytes of ``text`` per second the guard's value check reads."""
    started = time.perf_counter()
    for _ in range(rounds):
        value_rule(text)
    seconds = time.perf_counter() - started
    return round(len(text.encode()) * rounds / seconds / 1e6, 1)


def main() -> None:
    """Build the corpus, measure, print and record."""
    per_kind: dict[str, dict[str, float | int]] = {}
    total = refused_total = 0
    print(f"{'kind':<20}{'values':>8}{'refused':>9}{'rate %':>9}")
    for name, make in KINDS.items():
        values = [rng.choice(SENTENCES).format(make()) for _ in range(PER_KIND)]
        refused, share = rate(values)
        per_kind[name] = {"values": len(values), "refused": refused, "rate_pct": share}
        total += len(values)
        refused_total += refused
        print(f"{name:<20}{len(values):>8}{refused:>9}{share:>9}")
    overall = round(100 * refused_total / total, 3)
    print(f"{'overall':<20}{total:>8}{refused_total:>9}{overall:>9}")
    unshaped: dict[str, dict[str, float | int]] = {}
    for name, make in UNSHAPED.items():
        values = [make() for _ in range(PER_KIND)]
        refused, share = rate(values)
        unshaped[name] = {"values": len(values), "refused": refused, "rate_pct": share}
        print(f"{name:<20}{len(values):>8}{refused:>9}{share:>9}  (not in the overall rate)")
    cards = [card_number() for _ in range(PER_KIND)]
    detected, detection = rate(cards)
    print(f"card numbers detected: {detected}/{len(cards)} ({detection} %)")
    throughput = {
        name: mb_per_second(text)
        for name, text in (
            ("few_digits", "Customer asked about the parcel left with a neighbour. " * 50),
            ("order_numbers_and_dates", "Order KM-12345678 placed on 2026-12-06; " * 60),
            ("long_digit_runs", "ref 4000 1234 5678 9010 2026-12-06 +44 20 7946 0958; " * 40),
        )
    }
    print(f"throughput (MB/s): {throughput}")
    data = {
        "seed": SEED,
        "per_kind_values": PER_KIND,
        "false_refusals": per_kind,
        "overall": {"values": total, "refused": refused_total, "rate_pct": overall},
        "unshaped": unshaped,
        "card_numbers": {"values": len(cards), "detected": detected, "rate_pct": detection},
        "throughput_mb_s": throughput,
    }
    name = "guard_false_refusals-quick" if QUICK else "guard_false_refusals"
    print(f"\nresults: {record(name, data)}")


if __name__ == "__main__":
    main()
