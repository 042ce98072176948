"""Login, me, logout over the JSON API."""

from __future__ import annotations

import pytest
from staff_support import PASSWORD, login, make_staff, signed_in


@pytest.mark.policy("IS-AC-LOGIN-LOG")
def test_login_then_me_then_logout(platform, office):
    """A correct login opens a session that /api/auth/me recognises, and logout ends it."""
    alice = make_staff(platform, "alice")
    headers = signed_in(office, alice)
    me = office.get("/api/auth/me")
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "alice"
    assert office.post("/api/auth/logout", headers=headers).status_code == 204
    assert office.get("/api/auth/me").status_code == 401
    assert PASSWORD not in me.text
    assert login(office, alice, password="wrong-password-entirely").status_code == 401
