"""No secret and no card data ever reaches the audit log's details."""

from __future__ import annotations

import pytest
from audithelp import ALICE, rows
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from klaremont.audit.log import AuditLog
from klaremont.audit.redaction import (
    AuditDetailsRefused,
    check_details,
    contains_pan,
    key_is_forbidden,
    luhn_valid,
)
from klaremont.cards.actions import CardAction
from klaremont.detectors.pan import BRANDS, brand_of

CANARY_PAN = "4111 1111 1111 1111"  # the standard Visa test number


@pytest.mark.policy("DP-SECURE", "IS-SENS-MASK")
def test_card_data_in_details_is_masked_before_it_is_hashed_and_stored(
    audit: AuditLog, sessions: sessionmaker[Session], engine: Engine
) -> None:
    """A card number in details, a key, the resource or the request id is masked to its last
    four digits before the event is hashed and stored; the chain still verifies."""
    glued = "ref" + CANARY_PAN.replace(" ", "")
    with sessions.begin() as session:
        audit.record(
            session,
            action=CardAction.CARD_READ,
            actor=ALICE,
            resource=f"route:GET /api/customers/{glued}",
            request_id="4111.1111.1111.1111",
            details={
                "note": f"customer read out {CANARY_PAN} on the phone",
                "nested": [{"n": 4111111111111111}],
                glued: True,
                "track": ";4111111111111111=25121010000?",
            },
        )
    (stored,) = rows(engine)
    text = repr(stored)
    assert "41111111" not in text.replace(" ", "").replace(".", "")
    assert "1111 1111" not in text
    assert "•••• 1111" in stored["details"]
    assert "[track data withheld]" in stored["details"]
    assert stored["resource"] == "route:GET /api/customers/ref•••• 1111"
    assert audit.verify(engine).ok


@pytest.mark.policy("DP-SECURE")
@pytest.mark.parametrize(
    "key",
    [
        "password",
        "new_password",
        "clientSecret",
        "token",
        "csrf_token",
        "cvv",
        "CVC2",
        "pan",
        "card_number",
        "cardNumber",
        "track1",
        "track_2",
        "pin",
        "otp",
        "api_key",
        "privateKey",
    ],
)
def test_secret_keys_are_refused(key: str) -> None:
    """Keys that name a secret or card data are refused wherever they sit."""
    with pytest.raises(AuditDetailsRefused, match=key):
        check_details({"outer": [{key: "x"}]})


@pytest.mark.parametrize(
    "key", ["fields", "company", "expand", "shipping", "card_last4", "card_brand", "reason"]
)
def test_ordinary_keys_are_allowed(key: str) -> None:
    """Keys that merely contain a forbidden fragment inside a longer word are fine."""
    assert not key_is_forbidden(key)


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111111",
        "4111-1111-1111-1111",
        "card 4111 1111 1111 1111 exp 12/29",
        "4111 1111 1111 1111 123",  # followed by a separated security code
        "41111111111111111111111",  # inside a longer digit run
        "ref4111111111111111x",  # glued to letters
        "378282246310005",  # American Express test number, 15 digits
    ],
)
def test_card_numbers_are_found(text: str) -> None:
    """Luhn-valid 13-19 digit runs are found plain, spaced, dashed or followed by more digits."""
    assert contains_pan(text)


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",  # fails Luhn
        "order 2026-03-02 12:00",
        "+44 20 7946 0958",
        "GB29 NWBK 6016 1331 9268 19",  # an IBAN: checked as an IBAN first
        "customer/123",
    ],
)
def test_other_numbers_are_allowed(text: str) -> None:
    """Dates, phone numbers, long identifiers and non-Luhn numbers are not card numbers."""
    assert not contains_pan(text)


def test_card_number_as_integer_or_key_is_refused() -> None:
    """A PAN given as an integer value or used as a key is refused too."""
    with pytest.raises(AuditDetailsRefused, match="'n' contains a card number"):
        check_details({"n": 4111111111111111})
    with pytest.raises(AuditDetailsRefused, match="key that contains a card number"):
        check_details({"4111111111111111": True})


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    """A card number (a brand's prefix and length, Luhn-valid), possibly grouped."""
    brand = draw(st.sampled_from(BRANDS))
    low, high = draw(st.sampled_from(brand.ranges))
    prefix = str(draw(st.integers(low, high)))
    length = draw(st.sampled_from(sorted(brand.lengths)))
    size = length - len(prefix) - 1
    body = prefix + draw(st.text("0123456789", min_size=size, max_size=size))
    check = next(str(d) for d in range(10) if luhn_valid(body + str(d)))
    digits = body + check
    assume(brand_of(digits) is not None)
    separator = draw(st.sampled_from(["", " ", "-"]))
    groups = [digits[i : i + 4] for i in range(0, len(digits), 4)]
    return separator.join(groups)


@pytest.mark.policy("DP-SECURE")
@given(number=card_numbers(), before=st.sampled_from(["", "card ", "x:"]))
def test_every_card_number_is_refused(number: str, before: str) -> None:
    """Property: any card number (a brand's prefix and length, Luhn-valid) is refused by
    the details check (which runs after masking, as a second line)."""
    with pytest.raises(AuditDetailsRefused):
        check_details({"free_text": f"{before}{number} end"})
