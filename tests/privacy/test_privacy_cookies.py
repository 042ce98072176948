"""Every cookie the privacy centre sets holds a random key and nothing personal (PP-COOKIE)."""

from __future__ import annotations

import math
import re
from collections import Counter

import pytest
from privacy_support import csrf_of, make_customer, sign_in

_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def _entropy_bits_per_char(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


@pytest.mark.policy("PP-COOKIE")
def test_every_set_cookie_is_an_opaque_random_key(platform, client):
    """Across sign-in, choices, requests, downloads and sign-out every cookie is a random key."""
    person = make_customer(platform)
    seen: list[str] = []
    client.event_hooks["response"].append(
        lambda response: seen.extend(response.headers.get_list("set-cookie"))
    )
    visitor = csrf_of(client.get("/privacy/cookies").text)
    client.post("/privacy/cookies", data={"csrf_token": visitor, "preferences": "yes"})
    token = sign_in(client, person)
    client.post("/privacy/marketing", data={"csrf_token": token, "post": "yes"})
    client.post("/privacy/cookies", data={"csrf_token": token, "analytics": "yes"})
    client.post("/privacy/my-data/export", data={"csrf_token": token})
    client.post("/privacy/requests", data={"csrf_token": token, "kind": "restriction"})
    client.get("/privacy/my-data")
    client.post("/privacy/sign-out", data={"csrf_token": token})
    assert seen, "the walk set no cookie at all"
    # Whole values only: a short fragment ("Ada") can turn up in a random key by chance.
    personal = [person.email, person.name, person.street, person.phone, "LS1 4AP"]
    values = []
    for header in seen:
        name, _, rest = header.partition("=")
        value = rest.split(";", 1)[0].strip('"')
        attributes = {a.strip().split("=")[0].lower() for a in rest.split(";")[1:]}
        assert name in {"klaremont_customer", "klaremont_cookie_choice"}
        assert {"httponly", "secure", "samesite"} <= attributes
        for text in personal:
            assert text.casefold() not in header.casefold()
        if value:  # an empty value is the deletion of a cookie
            assert _TOKEN.fullmatch(value), header
            assert _entropy_bits_per_char(value) > 4.0
            values.append(value)
    assert len(values) == len(set(values)), "a key was reused"
