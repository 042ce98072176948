"""The policy's ``[customer_signin]`` section: shipped numbers, and each rule a bad file breaks."""

from __future__ import annotations

import pytest
from policyhelp import drop_key, set_key

from klaremont.errors import PolicyFileError
from klaremont.policy.loader import load_policy, validate_policy


def problems_of(document: dict) -> list[str]:
    """The ``key: rule`` lines a document is refused with."""
    with pytest.raises(PolicyFileError) as caught:
        validate_policy(document)
    return [f"{p.field}: {p.rule}" for p in caught.value.problems]


@pytest.mark.policy("DP-SECURE")
def test_shipped_customer_signin_pauses_for_a_while_only():
    """Five failures per address in 15 minutes pause it for 15 minutes; a client has more."""
    rules = load_policy(None).customer_signin
    assert (rules.max_failures, rules.window_minutes, rules.cooldown_minutes) == (5, 15, 15)
    assert rules.origin_max_failures >= rules.max_failures


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("customer_signin.max_failures", 2, "customer_signin.max_failures: must be an integer"),
        ("customer_signin.max_failures", 21, "from 3 to 20 (fewer would pause customers"),
        ("customer_signin.max_failures", "5", "customer_signin.max_failures: must be an integer"),
        ("customer_signin.window_minutes", 0, "customer_signin.window_minutes: must be an"),
        ("customer_signin.cooldown_minutes", 0, "customer_signin.cooldown_minutes: must be an"),
        (
            "customer_signin.cooldown_minutes",
            100_000,
            "customer_signin.cooldown_minutes: must be an integer from 1 to 1440 (a pause, never",
        ),
        ("customer_signin.cooldown_minutes", True, "customer_signin.cooldown_minutes: must be"),
        (
            "customer_signin.origin_max_failures",
            4,
            "customer_signin.origin_max_failures: must not be lower than max_failures",
        ),
    ],
)
def test_bad_customer_signin_value_is_refused_by_dotted_key(document, key, value, expected):
    """Each broken rule is reported as ``customer_signin.<key>: rule``."""
    set_key(document, key, value)
    problems = problems_of(document)
    assert any(line.startswith(expected) or expected in line for line in problems), problems


@pytest.mark.parametrize("key", ["customer_signin", "customer_signin.cooldown_minutes"])
def test_missing_customer_signin_key_is_named(document, key):
    """A missing section or number is reported by its dotted name."""
    drop_key(document, key)
    assert f"{key}: missing key (required)" in problems_of(document)


def test_unknown_customer_signin_key_is_refused(document):
    """A misspelt key is refused rather than silently ignored."""
    set_key(document, "customer_signin.lock_forever", 1)
    assert "customer_signin.lock_forever: unknown key (not part of the policy file)" in problems_of(
        document
    )
