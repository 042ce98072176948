"""Every link on the console home leads to a page, for every role: the work list's items
(contributed by each capability) and the navigation, on the demo shop, where every kind
of item is waiting. A link built by hand in one capability's ``my_work`` (once
``/staff/processors/<key>`` for ``/staff/processors/p/<key>``) answers 404 here."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import pytest

from klaremont.demo import service as demo
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff, staff_client

_HREF = re.compile(r'<a\b[^>]*\bhref="([^"#]+)')
#: links that end the session or leave for something that is no page
_NOT_FOLLOWED = ("/staff/logout",)
#: every job role a staff account holds (maintenance accounts are another kind of account,
#: signed in only through approved remote access: tests/staff/test_mfa_remote.py)
JOB_ROLES = [role for role in Role if role is not Role.MAINTENANCE]


def _links(html: str) -> list[str]:
    found = (urlsplit(unescape(href)) for href in _HREF.findall(html))
    paths = {f"{u.path}?{u.query}" if u.query else u.path for u in found if not u.netloc}
    return sorted(p for p in paths if p.startswith("/staff") and not p.startswith(_NOT_FOLLOWED))


@pytest.mark.parametrize("role", JOB_ROLES)
def test_every_link_on_the_console_home_opens_a_page(platform, role: Role) -> None:
    demo.seed(platform, demo.DemoSize(customers=12, seed=7))
    name = make_staff(platform, f"home-{role.value.replace('_', '-')}", role)
    with staff_client(platform, name) as person:
        home = person.get("/staff/", headers={"Accept": "text/html"})
        assert home.status_code == 200
        links = _links(home.text)
        assert links, "the home page links nowhere"
        broken = {}
        for link in links:
            answer = person.get(link, headers={"Accept": "text/html"})
            if answer.status_code != 200:
                broken[link] = answer.status_code
    assert not broken, f"links on the home page of a {role.value} that lead nowhere: {broken}"
