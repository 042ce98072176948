"""The policy values of the stale-data review (DP-ACCURATE): shipped, and refused when wrong."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from typing import Any

import pytest

from klaremont.errors import PolicyFileError
from klaremont.policy.loader import load_policy, validate_policy

_SHIPPED = tomllib.loads(
    resources.files("klaremont.policy").joinpath("klaremont.toml").read_text("utf-8")
)


def _document(**accuracy: Any) -> dict[str, Any]:
    document = copy.deepcopy(_SHIPPED)
    document["accuracy"].update(accuracy)
    return document


def _problems(document: dict[str, Any]) -> list[str]:
    with pytest.raises(PolicyFileError) as caught:
        validate_policy(document)
    return [f"{p.field}: {p.rule}" for p in caught.value.problems]


@pytest.mark.policy("DP-ACCURATE")
def test_shipped_policy_sets_a_review_period():
    """The shipped file asks for a review after two years, listing what falls due in 60 days."""
    accuracy = load_policy(None).accuracy
    assert accuracy.review_after_days == 730
    assert accuracy.due_soon_days == 60


@pytest.mark.policy("DP-ACCURATE")
@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"review_after_days": 0},
            "accuracy.review_after_days: must be an integer from 30 to 1825",
        ),
        ({"review_after_days": 3650}, "accuracy.review_after_days: must be an integer from 30"),
        ({"review_after_days": "730"}, "accuracy.review_after_days: must be an integer"),
        ({"due_soon_days": -1}, "accuracy.due_soon_days: must be an integer from 0 to 365"),
        ({"due_soon_days": 1.5}, "accuracy.due_soon_days: must be an integer"),
        (
            {"review_after_days": 60, "due_soon_days": 60},
            "accuracy.due_soon_days: must be shorter than review_after_days",
        ),
        ({"reviewed_by": "dpo"}, "accuracy.reviewed_by: unknown key"),
    ],
)
def test_a_wrong_review_value_is_refused_with_its_dotted_key(values, expected):
    """Each broken rule is reported as ``accuracy.<key>: <rule>`` when the file loads."""
    problems = _problems(_document(**values))
    assert any(line.startswith(expected) for line in problems), problems


@pytest.mark.policy("DP-ACCURATE")
@pytest.mark.parametrize("key", ["review_after_days", "due_soon_days"])
def test_a_missing_review_value_is_named(key):
    """Leaving a key out is refused by its dotted name, not defaulted."""
    document = _document()
    del document["accuracy"][key]
    assert f"accuracy.{key}: missing key (required)" in _problems(document)


def test_a_policy_without_the_accuracy_section_is_refused():
    """The whole section is required."""
    document = _document()
    del document["accuracy"]
    assert "accuracy: missing key (required)" in _problems(document)


def test_a_shorter_period_is_accepted():
    """A stricter review period within the rules loads."""
    assert validate_policy(_document(review_after_days=365)).accuracy.review_after_days == 365
