"""Password strength rules from the policy file (IS-PW-STRONG).

A new password must be long enough, not on the shipped list of common passwords, not
contain the account's own words (username, name parts, "klaremont"), and reach the
policy's zxcvbn score with those words as context. Every broken rule is named; the
password itself never appears in a message.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from zxcvbn import zxcvbn

from klaremont.errors import FieldProblem, ValidationFailed
from klaremont.staff.blocklist import is_common
from klaremont.staff.hashing import normalise_password

if TYPE_CHECKING:
    from collections.abc import Iterable

    from klaremont.policy.model import PasswordPolicy

MAX_LENGTH = 128
ZXCVBN_MAX_INPUT = 100  # zxcvbn's cost grows with length; its authors advise truncating
COMPANY_WORDS = ("klaremont",)
_MIN_CONTEXT_WORD = 3
_SPLIT = re.compile(r"[^a-z0-9]+")


def context_words(*values: str | None) -> list[str]:
    """The lower-case words of ``values`` (username, name parts) plus the company name."""
    words: list[str] = list(COMPANY_WORDS)
    for value in values:
        if value:
            words.extend(w for w in _SPLIT.split(value.lower()) if len(w) >= _MIN_CONTEXT_WORD)
    return list(dict.fromkeys(words))


def password_problems(
    policy: PasswordPolicy, password: str, words: Iterable[str], *, field: str = "new_password"
) -> list[FieldProblem]:
    """Every strength rule ``password`` breaks (empty when it is acceptable)."""
    text = normalise_password(password)
    problems: list[FieldProblem] = []
    if len(text) < policy.min_length:
        problems.append(FieldProblem(field, f"must be at least {policy.min_length} characters"))
    if len(text) > MAX_LENGTH:
        problems.append(FieldProblem(field, f"must be at most {MAX_LENGTH} characters"))
        return problems
    if is_common(text):
        problems.append(FieldProblem(field, "is a commonly used password; choose another"))
    lowered = text.lower()
    own = [w for w in words if w in lowered]
    if own:
        problems.append(
            FieldProblem(field, "must not contain your username, your name or the company name")
        )
    score = int(zxcvbn(text[:ZXCVBN_MAX_INPUT], user_inputs=list(words))["score"])
    if score < policy.min_zxcvbn_score:
        problems.append(
            FieldProblem(
                field,
                f"is too easy to guess (strength {score} of 4; at least "
                f"{policy.min_zxcvbn_score} needed): use a longer phrase of unrelated words",
            )
        )
    return problems


def check_strength(
    policy: PasswordPolicy, password: str, words: Iterable[str], *, field: str = "new_password"
) -> None:
    """Raise :class:`ValidationFailed` naming every broken rule."""
    word_list = list(words)
    problems = password_problems(policy, password, word_list, field=field)
    if problems:
        raise ValidationFailed(
            "; ".join(f"{p.field}: {p.rule}" for p in problems), problems=problems
        )
