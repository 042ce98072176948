"""The card-data guard's rules: field names, values, nesting, the tokenise exemption, safe names."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from klaremont.cards.checks import card_data_columns, no_cvv_column, no_track_column
from klaremont.cards.provider import LocalProvider
from klaremont.cards.schemas import CardIn
from klaremont.customers.schemas import ContactIn
from klaremont.detectors.card_fields import (
    CardDataRefused,
    Rule,
    check,
    check_model,
    key_rule,
    safe_key,
    scan,
)
from klaremont.errors import NotFound

VISA = "4111111111111111"


@pytest.mark.policy("IS-SENS-CVV", "IS-SENS-TRACK")
@pytest.mark.parametrize(
    ("key", "rule"),
    [
        ("cvv", Rule.CVV),
        ("CVC2", Rule.CVV),
        ("cardSecurityCode", Rule.CVV),
        ("security-code", Rule.CVV),
        ("cid", Rule.CVV),
        ("card_verification_value", Rule.CVV),
        ("track1", Rule.TRACK),
        ("Track_2", Rule.TRACK),
        ("magstripe", Rule.TRACK),
        ("magnetic_stripe_data", Rule.TRACK),
        ("pan", Rule.PAN),
        ("cardNumber", Rule.PAN),
        ("card_no", Rule.PAN),
        ("credit_card", Rule.PAN),
    ],
)
def test_field_names_that_carry_card_data_are_recognised(key, rule):
    """CVV, track and card-number field names are known in snake, kebab and camel case."""
    assert key_rule(key) is rule


@pytest.mark.parametrize(
    "key", ["company", "span", "expand", "password", "code", "last4", "token", "order_number"]
)
def test_ordinary_field_names_are_left_alone(key):
    """Words that merely contain the letters (company, span) or name other secrets pass."""
    assert key_rule(key) is None


@pytest.mark.policy("IS-SENS-CVV", "IS-SENS-MASK")
def test_scan_walks_nested_bodies_and_names_every_field():
    """Every offending field is reported once, by path, and an empty CVV field is no data."""
    body = {
        "customer": {"notes": ["fine", f"card {VISA}"], "cvv": "123"},
        "cvc": "",
        "items": [{"memo": "ok"}, {"memo": 4111111111111111}],
    }
    found = {(f.field, f.rule) for f in scan(body)}
    assert found == {
        ("customer.notes[1]", Rule.PAN),
        ("customer.cvv", Rule.CVV),
        ("items[1].memo", Rule.PAN),
    }


@pytest.mark.policy("IS-SENS-MASK")
def test_only_the_named_tokenise_field_may_hold_a_card_number():
    """The tokenise endpoint's ``pan`` field may hold a number; no other field, and never a CVV."""
    allowed = frozenset({"pan"})
    assert scan({"pan": VISA, "exp_month": 1}, allow_pan_fields=allowed) == []
    assert [f.field for f in scan({"pan": VISA, "note": VISA}, allow_pan_fields=allowed)] == [
        "note"
    ]
    assert [f.rule for f in scan({"pan": VISA, "cvv": "1"}, allow_pan_fields=allowed)] == [Rule.CVV]
    track = f";{VISA}=2812101?"
    assert [f.rule for f in scan({"pan": track}, allow_pan_fields=allowed)] == [Rule.TRACK]


@pytest.mark.policy("IS-SENS-CVV")
def test_refusals_never_carry_the_value():
    """The error, its problems and a key that itself holds a number name fields and rules only."""
    with pytest.raises(CardDataRefused) as refused:
        check({VISA: "x", "cvv": "9876"})
    text = str(refused.value) + repr(refused.value.problems)
    assert VISA not in text
    assert "9876" not in text
    assert safe_key(VISA) == "<key holding card data>"
    assert safe_key("a b\nc") == "a_b_c"
    with pytest.raises(CardDataRefused):
        check_model(ContactIn(kind="query", summary=f"number {VISA}"))


@pytest.mark.policy("IS-SENS-MASK")
def test_card_input_and_results_do_not_show_the_number():
    """A card model's repr hides the number; the local provider's token result shows last four."""
    card = CardIn(pan=SecretStr(VISA), exp_month=1, exp_year=2030)
    assert VISA not in repr(card)
    provider = LocalProvider()
    result = provider.tokenise(VISA, 1, 2030)
    assert VISA not in repr(result)
    assert repr(result) == "TokenResult(visa, •••• 1111)"
    assert provider.holds(result.token)
    provider.forget(result.token)
    with pytest.raises(NotFound):
        provider.forget(result.token)


@pytest.mark.policy("IS-SENS-CVV", "IS-SENS-TRACK")
def test_no_table_has_a_column_for_card_data():
    """The live checks find no column, in any capability's tables, named for a CVV, track data or
    a full card number."""
    assert card_data_columns() == []
    assert no_cvv_column(None).holds
    assert no_track_column(None).holds
