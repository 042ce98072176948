"""HEAD is answered wherever GET is: the same status and headers, no body (it answered 405
on every route, though the read scope names HEAD among the safe methods)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from klaremont.staff.permissions import Role
from klaremont.testing.staff import OFFICE_CLIENT, make_staff, staff_client
from klaremont.web.app import create_app


def test_head_answers_as_get_without_a_body(platform) -> None:
    anonymous = TestClient(
        create_app(platform), base_url="https://testserver", client=OFFICE_CLIENT
    )
    got, head = anonymous.get("/health/live"), anonymous.head("/health/live")
    assert (head.status_code, head.content) == (got.status_code, b"")
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["x-content-type-options"] == "nosniff"
    assert anonymous.head("/api/customers").status_code == 401  # refused as a GET is
    assert anonymous.head("/nowhere").status_code == 404
    sam = staff_client(platform, make_staff(platform, "sam", Role.SUPPORT_AGENT))
    me, headed = sam.get("/api/auth/me"), sam.head("/api/auth/me")
    assert (me.status_code, headed.status_code, headed.content) == (200, 200, b"")
    assert headed.headers["content-length"] == me.headers["content-length"]
    assert sam.post("/health/live").status_code == 405  # other methods are still refused
