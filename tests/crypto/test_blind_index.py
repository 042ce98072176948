"""Blind indexes: keyed, deterministic, normalised, and separated per kind of value."""

from __future__ import annotations

import hashlib
import hmac
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klaremont.crypto.blind_index import BlindIndexer, normalise_email, normalise_uk_phone
from klaremont.errors import ValidationFailed

KEY = bytes(range(32))


def _fullwidth(text: str) -> str:
    """The full-width form of ASCII letters and digits (what NFKC folds back)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in text)


@pytest.fixture
def indexer() -> BlindIndexer:
    """An indexer under a fixed index key."""
    return BlindIndexer(KEY)


def test_index_is_deterministic_hex(indexer: BlindIndexer) -> None:
    """The same value always gives the same 64-character lowercase hex index."""
    first = indexer.index("email", "ada@example.co.uk")
    assert first == indexer.index("email", "ada@example.co.uk")
    assert len(first) == 64
    assert int(first, 16) >= 0
    assert first == first.lower()
    assert first != indexer.index("email", "bob@example.co.uk")


@pytest.mark.parametrize(
    "variant",
    [
        "ada@example.co.uk",
        "  Ada@Example.CO.UK\n",
        "ADA@EXAMPLE.CO.UK",
        _fullwidth("ada@example.co.uk"),
    ],
)
def test_email_variants_share_one_index(indexer: BlindIndexer, variant: str) -> None:
    """Case, surrounding space and full-width (NFKC) forms of an address index the same."""
    assert normalise_email(variant) == "ada@example.co.uk"
    assert indexer.index("email", variant) == indexer.index("email", "ada@example.co.uk")


@pytest.mark.parametrize(
    "variant",
    [
        "07700 900123",
        "07700900123",
        "+44 7700 900123",
        "+44 (0)7700 900123",
        "0044 7700 900123",
        "447700900123",
        "7700 900123",
        "(07700) 900-123",
        _fullwidth("07700 900123"),
    ],
)
def test_uk_phone_variants_share_one_index(indexer: BlindIndexer, variant: str) -> None:
    """Every usual way of writing a UK number normalises to E.164 and indexes the same."""
    assert normalise_uk_phone(variant) == "+447700900123"
    assert indexer.index("phone", variant) == indexer.index("phone", "+447700900123")


def test_foreign_numbers_keep_their_country_code() -> None:
    """A number with another country code stays in that country."""
    assert normalise_uk_phone("+33 1 42 68 53 00") == "+33142685300"
    assert normalise_uk_phone("0033 1 42 68 53 00") == "+33142685300"
    assert normalise_uk_phone("020 7946 0000") == "+442079460000"


@pytest.mark.parametrize("bad", ["call me", "12", "+44", "", "07700 900123 ext 4", "+0 123456789"])
def test_malformed_phone_is_refused_without_echoing_it(bad: str) -> None:
    """Something that is not a phone number is refused with the field named, not the value."""
    with pytest.raises(ValidationFailed) as caught:
        normalise_uk_phone(bad)
    assert caught.value.problems[0].field == "phone"
    assert not bad or bad not in caught.value.detail


@pytest.mark.parametrize("bad", ["", "   ", "no-at-sign", "@example.com", "ada@"])
def test_malformed_email_is_refused(bad: str) -> None:
    """Something that is not an e-mail address is refused before it is indexed."""
    with pytest.raises(ValidationFailed):
        normalise_email(bad)


@pytest.mark.policy("DP-SECURE")
def test_kinds_are_domain_separated(indexer: BlindIndexer) -> None:
    """Each kind has its own HMAC key, so equal inputs give unrelated indexes per kind."""
    macs = indexer._macs
    digests = {kind: hmac_obj.copy() for kind, hmac_obj in macs.items()}
    for mac in digests.values():
        mac.update(b"same input")
    assert len({mac.hexdigest() for mac in digests.values()}) == len(macs) == 2


@pytest.mark.policy("DP-SECURE")
def test_index_is_keyed_not_a_plain_hash(indexer: BlindIndexer) -> None:
    """The index is neither a hash of the value nor an HMAC under the raw index key."""
    value = "ada@example.co.uk"
    index = indexer.index("email", value)
    assert index != hashlib.sha256(value.encode()).hexdigest()
    assert index != hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()
    assert index != BlindIndexer(os.urandom(32)).index("email", value)


def test_unknown_kind_is_a_programming_error(indexer: BlindIndexer) -> None:
    """Asking for a kind that has no normaliser fails loudly."""
    with pytest.raises(ValueError, match="postcode"):
        indexer.index("postcode", "SW1A 1AA")


@given(
    local=st.from_regex(r"[A-Za-z0-9._%+-]{1,20}", fullmatch=True),
    domain=st.sampled_from(["example.com", "EXAMPLE.co.uk", "Mail.Example.org"]),
)
def test_email_normalisation_is_idempotent(local: str, domain: str) -> None:
    """Normalising an already normalised address changes nothing."""
    once = normalise_email(f" {local}@{domain} ")
    assert normalise_email(once) == once == once.lower()
