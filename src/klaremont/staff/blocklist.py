"""The shipped list of common passwords and the forms a password is checked in (IS-PW-STRONG).

``common_passwords.txt`` (beside this module) is built offline by :func:`build_blocklist`
from the zxcvbn package's bundled frequency list of leaked passwords plus generated
patterns people pick when told "twelve characters": season/month/company words with
years and symbols, keyboard walks, and digit runs. Nothing is downloaded. Rebuild with::

    .venv/bin/python -m klaremont.staff.blocklist

A password is refused when any of its :func:`candidate_forms` is on the list: the
lower-cased text, the text with common character substitutions undone ("P@ssw0rd"), and
either of those with leading and trailing digits and symbols stripped ("Summer2026!").
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

FILE_NAME = "common_passwords.txt"
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "@": "a", "$": "s", "5": "s", "7": "t", "!": "i"}
)
_EDGES = re.compile(r"^[^a-z]+|[^a-z]+$")
_MIN_CORE = 4

BASE_WORDS = [
    "password",
    "passw0rd",
    "passwort",
    "welcome",
    "letmein",
    "qwerty",
    "admin",
    "administrator",
    "changeme",
    "default",
    "secret",
    "login",
    "access",
    "master",
    "monkey",
    "dragon",
    "football",
    "cricket",
    "arsenal",
    "chelsea",
    "liverpool",
    "united",
    "london",
    "england",
    "britain",
    "iloveyou",
    "sunshine",
    "princess",
    "shadow",
    "superman",
    "batman",
    "trustno1",
    "whatever",
    "starwars",
    "computer",
    "internet",
    "baseball",
    "soccer",
    "hello",
    "freedom",
    "klaremont",
    "klaremontfsp",
    "klaremontltd",
    "company",
    "office",
    "staff",
    "support",
    "finance",
    "marketing",
    "security",
    "summer",
    "winter",
    "spring",
    "autumn",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "christmas",
    "easter",
    "holiday",
    "family",
    "birthday",
]
KEYBOARD_WALKS = [
    "qwertyuiop",
    "qwertyuiopasdf",
    "asdfghjkl",
    "asdfghjkl;",
    "zxcvbnm",
    "zxcvbnm,./",
    "qazwsxedc",
    "qazwsxedcrfv",
    "1qaz2wsx",
    "1qaz2wsx3edc",
    "1qaz2wsx3edc4rfv",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "1q2w3e4r5t6y",
    "1q2w3e4r5t6y7u",
    "q1w2e3r4",
    "q1w2e3r4t5",
    "q1w2e3r4t5y6",
    "!qaz@wsx",
    "!qaz@wsx#edc",
    "zaq12wsx",
    "zaq1xsw2",
    "qweasdzxc",
    "qweasdzxc123",
    "poiuytrewq",
    "lkjhgfdsa",
    "mnbvcxz",
    "147258369",
    "159753",
    "951753",
    "741852963",
    "123qweasdzxc",
    "qwerty123456",
    "asdf1234",
    "asdfasdf",
    "qwerqwer",
    "1234qwer",
    "123qwe",
    "123abc",
    "abc123",
    "abcdefgh",
    "abcdefghijkl",
    "aaaaaaaaaaaa",
    "111111111111",
    "123123123123",
    "121212121212",
    "1234567890",
    "12345678910",
    "0987654321",
    "123456789012",
    "qwertyqwerty",
    "passwordpassword",
]


def candidate_forms(password: str) -> set[str]:
    """The forms of ``password`` looked up in the list (see the module docstring)."""
    lowered = password.lower()
    unleet = lowered.translate(_LEET)
    forms = {lowered, unleet}
    for form in (lowered, unleet):
        core = _EDGES.sub("", form)
        if len(core) >= _MIN_CORE:
            forms.add(core)
    return forms


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, read once."""
    text = resources.files("klaremont.staff").joinpath(FILE_NAME).read_text(encoding="utf-8")
    lines = (line.strip() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def is_common(password: str) -> bool:
    """True when any form of ``password`` is on the shipped list."""
    listed = common_passwords()
    return any(form in listed for form in candidate_forms(password))


def build_blocklist(limit_leaked: int = 10_000) -> list[str]:
    """The list's contents, deterministic: leaked passwords first, then generated patterns.

    Words with years or symbols around them ("Summer2026!") need no entries of their own:
    :func:`candidate_forms` strips the edges before the lookup.
    """
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # noqa: PLC0415 - build-time only

    entries: dict[str, None] = {}
    for word in FREQUENCY_LISTS["passwords"][:limit_leaked]:
        entries[word.lower()] = None
    for word in BASE_WORDS:
        entries[word] = None
    for walk in KEYBOARD_WALKS:
        entries[walk] = None
    return [entry for entry in entries if entry.strip() and not entry.startswith("#")]


def main() -> None:
    """Write the list beside this module (a developer command)."""
    path = Path(__file__).with_name(FILE_NAME)
    entries = build_blocklist()
    header = (
        "# Common passwords refused for staff accounts (IS-PW-STRONG).\n"
        "# Generated by `python -m klaremont.staff.blocklist`; see that module.\n"
    )
    path.write_text(header + "\n".join(entries) + "\n", encoding="utf-8")
    print(f"wrote {len(entries)} entries to {path}")  # noqa: T201 - developer command output


if __name__ == "__main__":
    main()
