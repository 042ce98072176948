"""Property tests of the one card detector: every spelling, every length, every brand.

The guard, the audit log, the logs and the CLI all ask :mod:`klaremont.detectors.cards`,
so what is proved here holds on every surface.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from card_strategies import SEPARATORS, brand_numbers, grouped
from hypothesis import assume, given
from hypothesis import strategies as st

from klaremont.detectors.cards import card_data_in, find, iban_valid, redact, usps_valid
from klaremont.detectors.pan import luhn_complete

GLUE_BEFORE = ("", "ref", "ID:", "x", "card ", "TRK", "#")
GLUE_AFTER = ("", "x", "abc", " exp 12/29", ".", " cvv", "\n")


def only_last_four_shown(number: str, text: str) -> bool:
    """The redacted text keeps no more of ``number`` than its last four digits."""
    shown = re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", redact(text)))
    return number[:-4] not in shown and f"•••• {number[-4:]}" in redact(text)


@pytest.mark.policy("IS-SENS-MASK")
@given(
    brand_numbers(),
    st.sampled_from(SEPARATORS),
    st.sampled_from([4, 3, 5, 6]),
    st.sampled_from(GLUE_BEFORE),
    st.sampled_from(GLUE_AFTER),
)
def test_every_spelling_of_a_card_number_is_found_and_masked(number, sep, size, before, after):
    """Any separator between groups of any size, glued to letters or punctuation on either
    side: found as a card number, and redaction leaves only the last four digits."""
    text = f"{before}{grouped(number, sep, size)}{after}"
    assert card_data_in(text) == "pan", repr(text)
    assert only_last_four_shown(number, text)


@pytest.mark.policy("IS-SENS-MASK")
@pytest.mark.parametrize("length", range(13, 20))
@given(data=st.data())
def test_every_length_from_13_to_19_is_found(length, data):
    """Card numbers of each length 13-19 (each brand that issues it) are found."""
    number = data.draw(brand_numbers(lengths=(length,)))
    assert len(number) == length
    assert card_data_in(number) == "pan"
    assert card_data_in(f"paid with {grouped(number, ' ')} yesterday") == "pan"


@pytest.mark.policy("IS-SENS-MASK")
@given(st.integers(2221, 2720), st.text("0123456789", min_size=11, max_size=11))
def test_mastercard_2_series_is_found(prefix, body):
    """Mastercard's 2221-2720 range is a card number like the 51-55 range."""
    number = luhn_complete(f"{prefix}{body}")
    assert card_data_in(number) == "pan"
    assert card_data_in(f"MC {grouped(number, '.')}") == "pan"


@pytest.mark.policy("IS-SENS-MASK")
@given(
    brand_numbers(lengths=(16,)),
    st.text("012345678", min_size=1, max_size=6),
    st.text("0123456789", min_size=0, max_size=6),
)
def test_a_card_number_inside_a_longer_digit_run_is_found(number, before, after):
    """Digits before and after a card number (a longer run) do not hide it."""
    assume(not (before + number).startswith(("92", "93", "94", "95")))  # no USPS shape
    text = f"{before}{number}{after}"
    assert card_data_in(text) == "pan"
    assert "•••• " in redact(text)
    assert number[:-4] not in re.sub(r"[^0-9]", "", redact(text))


@pytest.mark.policy("IS-SENS-TRACK")
@given(
    brand_numbers(),
    st.sampled_from(["", " ", "-"]),
    st.sampled_from(["", "%", "TRK", "data:"]),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ/ ", min_size=2, max_size=26).filter(str.strip),
)
def test_track_data_is_found_with_prefixes_and_spaced_numbers(number, sep, prefix, name):
    """Track 1 (``B<number>^NAME^YYMM``) and track 2 (``<number>=YYMM...``), after any
    prefix and with the number grouped, are track data; nothing of them stays in redaction."""
    spaced = grouped(number, sep)
    for track in (f"{prefix}B{spaced}^{name}^2512101?", f"{prefix};{spaced}=25121010000?"):
        assert card_data_in(track) == "track", track
        assert number[:-4] not in re.sub(r"[^0-9]", "", redact(track))


_SPACING = st.sampled_from([" ", "  ", "\n", "\t", "\u200b", "\u00a0", "\u3000", "-", "     "])


@pytest.mark.policy("IS-SENS-MASK")
@given(brand_numbers(), st.lists(_SPACING, min_size=1, max_size=19))
def test_a_value_is_checked_as_it_will_be_stored(number, spacing):
    """If trimming, NFKC and collapsing whitespace (what schemas and services do before
    storing) turn a value into card data, the value as sent is card data already."""
    text = "".join(d + spacing[i % len(spacing)] for i, d in enumerate(number))
    stored = " ".join(unicodedata.normalize("NFKC", text).split())
    assert card_data_in(stored) is not None or card_data_in(text) is None
    assert card_data_in(text) == "pan"


@pytest.mark.parametrize(
    "text",
    [
        "GB29 NWBK 6016 1331 9268 19",
        "DE89370400440532013000",
        "FR1420041010050500013M02606",
        "+44 (0)20 7946 0958",
        "0044 7700 900123",
        "+447700900123",
        "2026-12-06 04:37:44.123456",
        "2026-12-06T04:37:44.123456+00:00",
        "12345678-1234-1234-1234-123456789012",
        "9400111899223100000000",  # a USPS number with its check digit
        "JD014600004152781049",  # DHL Parcel UK
        "203-4567890-1234567",  # a marketplace order id
        "sort code 40-47-84 account 70872490",
        "40-47-84 70872490",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "order KM-12345678 placed 2026-12-06",
    ],
)
def test_legitimate_values_with_long_digit_runs_are_not_card_data(text):
    """IBANs, UK phone numbers, timestamps, UUIDs, parcel and order numbers, bank details and
    digests are set aside before digit runs are read (false refusals: the bench measures)."""
    assert card_data_in(text) is None
    assert redact(text) == text


def test_the_shapes_set_aside_are_validated():
    """An IBAN or USPS number is set aside only when its check digits are right."""
    assert iban_valid("GB29 NWBK 6016 1331 9268 19")
    assert not iban_valid("GB28 NWBK 6016 1331 9268 19")
    assert usps_valid("9400111899223100000000")
    assert not usps_valid("9400111899223100000001")


def test_text_with_few_digits_is_answered_without_reading_it_further():
    """Fewer than twelve digits: no hits, and the text comes back as given."""
    text = "Order 1234 for Ms Example, flat 5, 10 Downing Street"
    value, hits = find(text)
    assert hits == []
    assert value is text


@pytest.mark.policy("IS-SENS-MASK")
@given(brand_numbers(), st.sampled_from([0x0660, 0x06F0, 0x0966, 0xFF10, 0x1D7CE]))
def test_digits_of_other_scripts_are_read_as_digits(number, zero):
    """Arabic-Indic, Devanagari, full-width and mathematical digits spell a card number too."""
    text = "".join(chr(zero + int(d)) for d in number)
    assert card_data_in(text) == "pan"
    assert only_last_four_shown(number, text)
