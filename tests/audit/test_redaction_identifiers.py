"""Identifiers in audit details are not mistaken for card numbers."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klaremont.audit.redaction import check_details, contains_pan


@given(st.uuids())
def test_no_uuid_is_taken_for_a_card_number(value: uuid.UUID) -> None:
    """Any UUID, in canonical text form, passes the card-number check."""
    assert not contains_pan(str(value))


@given(st.binary(min_size=1, max_size=64))
def test_no_hex_digest_is_taken_for_a_card_number(data: bytes) -> None:
    """Any SHA-256 hex digest passes the card-number check."""
    assert not contains_pan(hashlib.sha256(data).hexdigest())


def test_all_digit_uuid_is_an_identifier() -> None:
    """A UUID whose groups are all digits is still an identifier, not a card number."""
    assert not contains_pan("12345678-1234-1234-1234-123456789012")


@pytest.mark.policy("IS-SENS-CVV", "IS-SENS-TRACK")
@pytest.mark.parametrize("text", ["card 4111 1111 1111 1111", "pan=4111-1111-1111-1111;"])
def test_a_real_card_number_is_still_refused(text: str) -> None:
    """A Luhn-valid card number next to punctuation or words is refused in details."""
    assert contains_pan(text)
    with pytest.raises(ValueError, match="note"):
        check_details({"note": text})
