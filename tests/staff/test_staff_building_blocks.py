"""Unit rules: strength, shipped blocklist, office networks, hashing.

Clauses: IS-PW-STRONG, IS-PW-HASH, IS-RA-2FA.
"""

from __future__ import annotations

import pytest

from klaremont.policy.loader import shipped_policy
from klaremont.staff.blocklist import build_blocklist, candidate_forms, common_passwords, is_common
from klaremont.staff.hashing import UNUSABLE, PasswordHashing
from klaremont.staff.network import is_remote
from klaremont.staff.strength import context_words, password_problems

POLICY = shipped_policy().passwords


@pytest.mark.policy("IS-PW-STRONG")
def test_shipped_blocklist_is_large_and_generated_offline():
    """The shipped list has ten thousand entries and matches what the generator builds."""
    listed = common_passwords()
    assert len(listed) >= 10_000
    assert set(build_blocklist()) == listed
    assert {"password", "qwertyuiop", "klaremont", "1qaz2wsx3edc", "letmein"} <= listed


@pytest.mark.policy("IS-PW-STRONG")
@pytest.mark.parametrize(
    "candidate", ["Summer2026!", "P@ssw0rd123", "QWERTYUIOP", "Klaremont#2025", "l3tm31n!!"]
)
def test_decorated_common_passwords_are_caught(candidate):
    """Years, symbols, capitals and leetspeak around a common word do not hide it."""
    assert is_common(candidate)


@pytest.mark.policy("IS-PW-STRONG")
def test_unrelated_passphrases_pass():
    """A long phrase of unrelated words passes every rule."""
    assert (
        password_problems(POLICY, "orbit-walnut-tundra-velvet-88", context_words("sam", "Sam Lee"))
        == []
    )
    assert "summer" in candidate_forms("Summer2026!")


@pytest.mark.policy("IS-PW-STRONG")
def test_own_words_are_refused():
    """The username, name parts and company name are refused inside a password."""
    words = context_words("j.bloggs", "Joanna Bloggs")
    problems = password_problems(POLICY, "joanna-rides-blue-horses-77", words)
    assert any("username, your name" in p.rule for p in problems)


@pytest.mark.policy("IS-PW-STRONG")
def test_very_long_passwords_are_capped():
    """Passwords over 128 characters are refused (bounded hashing and estimation cost)."""
    problems = password_problems(POLICY, "x" * 129, [])
    assert [p.rule for p in problems] == ["must be at most 128 characters"]


@pytest.mark.policy("IS-RA-2FA")
@pytest.mark.parametrize(
    ("origin", "remote"),
    [
        ("127.0.0.1", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("10.0.0.8", True),
        ("203.0.113.9", True),
        ("testclient", True),
        (None, True),
        ("", True),
    ],
)
def test_office_or_remote(origin, remote):
    """Only addresses inside the office networks are local; anything unclear is remote."""
    assert is_remote(origin, ["127.0.0.0/8", "::1/128"]) is remote


@pytest.mark.policy("IS-PW-HASH")
def test_unusable_and_malformed_hashes_never_match():
    """An offboarded marker or a corrupted hash matches no password, at the cost of one verify."""
    hashing = PasswordHashing(2, 19456, 1)
    assert hashing.verify(UNUSABLE, "") is False
    assert hashing.verify("$argon2id$garbage", "x") is False
    assert hashing.needs_rehash(UNUSABLE) is False
    stored = hashing.hash("\uff26\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48-passphrase")
    assert hashing.verify(stored, "Fullwidth-passphrase")
    assert hashing.describe() == "argon2id m=19456 KiB t=2 p=1"


def test_a_principal_whose_account_vanished_is_signed_out() -> None:
    """A bearer principal loads its account row on first use; a row gone meanwhile ends it."""
    import uuid  # noqa: PLC0415

    from klaremont.staff.errors import SessionEnded  # noqa: PLC0415
    from klaremont.staff.web.principal import StaffPrincipal  # noqa: PLC0415

    principal = StaffPrincipal(
        account_id=uuid.uuid4(),
        username="gone",
        roles=frozenset(),
        permissions=frozenset(),
        remote=False,
        load_account=lambda: None,
    )
    assert principal.actor.id == str(principal.account_id)
    with pytest.raises(SessionEnded):
        _ = principal.account
