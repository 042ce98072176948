"""Property tests: masking never shows more than four digits; card numbers are found in any text."""

from __future__ import annotations

import re
import unicodedata
import uuid

import pytest
from card_strategies import brand_numbers
from hypothesis import assume, example, given
from hypothesis import strategies as st

from klaremont.audit.redaction import luhn_valid
from klaremont.detectors.card_fields import Rule, scan
from klaremont.detectors.pan import (
    BRANDS,
    brand_of,
    check_pan,
    has_pan,
    has_track_data,
    luhn_complete,
    mask,
    mask_pan,
)
from klaremont.errors import ValidationFailed

digits = st.text(alphabet="0123456789", min_size=12, max_size=18)
separator = st.sampled_from(["", " ", "-"])
#: Words around a number: any text with no digit, even once normalised (no superscript two).
harmless = st.text(
    alphabet=st.characters(exclude_categories=("Nd", "No", "Nl", "Cs")), max_size=40
).filter(lambda t: not any(c.isdigit() for c in unicodedata.normalize("NFKC", t)))


def layout(number: str, sep: str) -> str:
    """The number in groups of four joined by ``sep``."""
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


@pytest.mark.policy("IS-SENS-MASK")
@given(st.text(alphabet="0123456789", min_size=4, max_size=4))
def test_mask_shows_exactly_the_last_four(last4):
    """``mask`` shows the four digits it is given behind a fixed prefix, never anything else."""
    shown = mask(last4)
    assert shown == f"•••• {last4}"
    assert re.sub(r"\D", "", shown) == last4


@pytest.mark.policy("IS-SENS-MASK")
@given(digits, separator)
@example("411111111111111", " ")
def test_masking_any_card_number_reveals_at_most_four_digits(partial, sep):
    """Whatever layout a number is typed in, the masked form carries only its last four digits."""
    number = luhn_complete(partial)
    shown = mask_pan(layout(number, sep))
    assert re.sub(r"\D", "", shown) == number[-4:]
    assert len(re.findall(r"\d", shown)) <= 4


@pytest.mark.policy("IS-SENS-MASK")
@given(digits)
def test_luhn_completion_is_always_valid_and_unique(partial):
    """Exactly one check digit completes a number; any single-digit change breaks the Luhn check."""
    number = luhn_complete(partial)
    assert luhn_valid(number)
    assert [d for d in "0123456789" if luhn_valid(partial + d)] == [number[-1]]
    flipped = number[:-2] + str((int(number[-2]) + 1) % 10) + number[-1]
    assert not luhn_valid(flipped)


@pytest.mark.policy("IS-SENS-MASK", "IS-SENS-CVV")
@given(brand_numbers(), separator, harmless, harmless)
def test_a_card_number_is_found_wherever_it_hides_in_text(number, sep, before, after):
    """A 13-19 digit card number (a brand's prefix and length, Luhn-valid), plain, spaced or
    dashed, is found inside any words, and the guard refuses the field holding it."""
    text = f"{before} {layout(number, sep)} {after}"
    assert has_pan(text)
    assert scan({"note": text}) == [scan({"note": text})[0]]
    assert scan({"note": text})[0].rule in {Rule.PAN, Rule.TRACK}


@pytest.mark.policy("IS-SENS-MASK")
@given(digits, separator)
def test_a_number_failing_luhn_is_not_a_card_number(partial, sep):
    """A 13-19 digit number with a wrong check digit is neither found nor accepted to tokenise."""
    number = luhn_complete(partial)
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assume(
        not any(
            luhn_valid(wrong[i:j]) for i in range(len(wrong)) for j in range(i + 13, len(wrong) + 1)
        )
    )
    assert not has_pan(layout(wrong, sep))
    with pytest.raises(ValidationFailed, match="pan:"):
        check_pan(layout(wrong, sep))


@given(st.uuids(version=4), st.binary(min_size=16, max_size=32))
def test_identifiers_and_digests_are_not_mistaken_for_card_numbers(ident, raw):
    """UUIDs, hex digests and base64 tokens (digits glued to letters) are left alone."""
    assert not has_pan(str(ident))
    assert not has_pan(f"id={ident};next={uuid.uuid4()}")
    assert not has_pan("a" + raw.hex() + "f")


@pytest.mark.policy("IS-SENS-TRACK")
@given(digits, st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ/ ", min_size=2, max_size=26))
def test_track_data_is_recognised_with_or_without_sentinels(partial, name):
    """Track 1 (%B...^NAME^YYMM) and track 2 (;...=YYMM) are found, sentinels or not."""
    assume(name.strip())
    number = luhn_complete(partial)
    for track in (
        f"%B{number}^{name}^2812101",
        f"B{number}^{name}^2812101",
        f";{number}=28121010000?",
        f"{number}=2812101000",
        f"{number}D2812101000",
    ):
        assert has_track_data(f"swiped: {track}"), track
        assert scan({"memo": track})[0].rule is Rule.TRACK


@given(st.binary(min_size=16, max_size=40))
def test_hex_tokens_are_not_mistaken_for_card_data(raw):
    """A hex anti-forgery token or digest (32 or more hex characters standing alone) is
    neither track data nor a card number, whatever digit runs it holds by chance."""
    token = raw.hex()
    assume(re.search("[a-f]", token))
    assert not has_track_data(token)
    assert not has_pan(token)
    assert not has_pan(f"csrf={token};")


@pytest.mark.parametrize(
    ("text", "track"),
    [
        ("abc1234567890123d12345678ef0", False),  # not Luhn: left alone
        ("abc1234567890128d12345678ef0", True),  # Luhn-valid: track data
    ],
)
def test_short_hex_text_is_track_data_only_when_luhn_valid(text, track):
    """Shorter than a token, "<digits>d<seven digits>" is track data exactly when the digits
    before the separator pass the Luhn check."""
    assert has_track_data(text) is track


@pytest.mark.policy("IS-SENS-MASK")
@given(st.sampled_from(BRANDS), st.data())
def test_every_brand_validates_numbers_in_its_own_ranges(brand, data):
    """A Luhn-valid number of a brand's prefix and length is accepted as that brand (last four)."""
    low, high = data.draw(st.sampled_from(brand.ranges))
    prefix = str(data.draw(st.integers(low, high)))
    length = data.draw(st.sampled_from(sorted(brand.lengths)))
    body = data.draw(
        st.text(
            alphabet="0123456789",
            min_size=length - len(prefix) - 1,
            max_size=length - len(prefix) - 1,
        )
    )
    number = luhn_complete(prefix + body)
    detected = brand_of(number)
    assume(detected == brand.name)  # a narrower brand's range may claim the number first
    checked = check_pan(layout(number, " "))
    assert (checked.brand, checked.last4) == (brand.name, number[-4:])
    assert number not in repr(checked)
