"""Anti-forgery form tokens (itsdangerous): bound to a session, or timed for a visitor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from klaremont.crypto import form_tokens
from klaremont.privacy import tokens

SECRET = "a-test-platform-secret-of-enough-length"
ISSUED = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def test_a_bound_token_passes_for_its_session_and_purpose_only():
    """A session's token is refused for another session, another purpose or another secret."""
    token = form_tokens.bound_token(SECRET, "purpose-a", "session-1")
    assert form_tokens.bound_token_valid(SECRET, "purpose-a", "session-1", token)
    assert not form_tokens.bound_token_valid(SECRET, "purpose-a", "session-2", token)
    assert not form_tokens.bound_token_valid(SECRET, "purpose-b", "session-1", token)
    assert not form_tokens.bound_token_valid(SECRET + "x", "purpose-a", "session-1", token)
    assert not form_tokens.bound_token_valid(SECRET, "purpose-a", "session-1", None)
    assert not form_tokens.bound_token_valid(SECRET, "purpose-a", "session-1", "")


def test_a_visitor_form_token_lasts_two_hours():
    """A visitor's token works until two hours after it was shown, then is refused."""
    token = tokens.form_token(SECRET, ISSUED)
    assert tokens.form_token_valid(SECRET, token, ISSUED)
    assert tokens.form_token_valid(SECRET, token, ISSUED + tokens.FORM_TOKEN_MAX_AGE)
    late = ISSUED + tokens.FORM_TOKEN_MAX_AGE + timedelta(seconds=1)
    assert not tokens.form_token_valid(SECRET, token, late)
    assert not tokens.form_token_valid(SECRET, token, ISSUED - timedelta(seconds=1))  # future


@pytest.mark.parametrize(
    "forged", ["", None, "no-dots", "a.b.c", "x" * 80, "nonce.AAAAAA.c2lnbmF0dXJl"]
)
def test_malformed_visitor_tokens_are_refused(forged):
    """Anything that is not a token this platform signed is refused."""
    assert not tokens.form_token_valid(SECRET, forged, ISSUED)


def test_tampered_and_cross_purpose_tokens_are_refused():
    """A changed nonce, a changed time, a session token or another secret: all refused."""
    token = tokens.form_token(SECRET, ISSUED)
    nonce, stamp, signature = token.split(".")
    assert not tokens.form_token_valid(SECRET, f"{nonce}x.{stamp}.{signature}", ISSUED)
    other = "B" if stamp.endswith("A") else "A"
    assert not tokens.form_token_valid(SECRET, f"{nonce}.{stamp[:-1]}{other}.{signature}", ISSUED)
    assert not tokens.form_token_valid(SECRET + "x", token, ISSUED)
    session = tokens.session_csrf(SECRET, "session-key")
    assert tokens.session_csrf_valid(SECRET, "session-key", session)
    assert not tokens.form_token_valid(SECRET, session, ISSUED)
    assert not tokens.session_csrf_valid(SECRET, "session-key", token)


def test_each_visitor_token_is_different():
    """Two forms shown in the same second carry different tokens (a nonce each)."""
    assert tokens.form_token(SECRET, ISSUED) != tokens.form_token(SECRET, ISSUED)
