"""Only the team, the directors, the DPO and the ISO see an incident; anyone else gets 403 or
404 on every route, API and page, and each refusal is audited."""

from __future__ import annotations

import pytest
from incidents_support import REPORT, TEAM, events

BROWSER = {"Accept": "text/html"}
ACTION = {"kind": "investigation", "text": "Looked at the firewall logs."}


@pytest.fixture
def reference(client) -> str:
    """An incident with its team at work (reported by an engineer on the team)."""
    iso = client("ivy")
    reference = client("ted").post("/api/incidents", json=REPORT).json()["reference"]
    iso.post(f"/api/incidents/{reference}/transition", json={"to": "investigating"})
    assert iso.post(f"/api/incidents/{reference}/team", json={"seats": TEAM}).status_code == 200
    return reference


def _routes(reference: str) -> list[tuple[str, str, dict | None, dict | None]]:
    """(method, path, json body, form body) of every incident route."""
    base, page = f"/api/incidents/{reference}", f"/staff/incidents/{reference}"
    return [
        ("GET", base, None, None),
        ("GET", f"{base}/ico-report", None, None),
        ("POST", f"{base}/actions", ACTION, None),
        ("POST", f"{base}/checklist", {"item": "high_alert", "answer": "done"}, None),
        ("POST", f"{base}/transition", {"to": "contained"}, None),
        ("GET", f"{base}/team", None, None),
        ("POST", f"{base}/team", {"seats": TEAM}, None),
        ("POST", f"{base}/notifications/ico", {"decision": "sent"}, None),
        ("PUT", f"{base}/assessment", {"people_count": 3}, None),
        ("POST", f"{base}/lessons", {"text": "Something we learned here."}, None),
        ("GET", page, None, None),
        ("GET", f"{page}/ico-report", None, None),
        ("POST", f"{page}/actions", None, ACTION),
        ("POST", f"{page}/checklist", None, {"item": "high_alert", "answer": "done"}),
        ("POST", f"{page}/contain", None, {}),
        ("POST", f"{page}/dismiss", None, {"reason": "Nothing happened here at all."}),
        ("POST", f"{page}/team", None, {}),
        ("POST", f"{page}/notify", None, {"recipient": "ico", "decision": "sent"}),
        ("POST", f"{page}/assessment", None, {"people_count": "3"}),
        ("POST", f"{page}/lessons", None, {"text": "Something we learned here."}),
    ]


def _call(api, method, path, body, form):
    if form is not None:
        token = api.headers["X-CSRF-Token"]
        return api.request(
            method,
            path,
            data={**form, "csrf_token": token},
            headers=BROWSER,
            follow_redirects=False,
        )
    return api.request(method, path, json=body, follow_redirects=False)


@pytest.mark.policy("SP-IRT", "IS-SENS-NEED")
@pytest.mark.parametrize("outsider", ["sue", "mark", "ollie"])
def test_outsiders_cannot_see_the_incident_on_any_route(platform, client, reference, outsider):
    api = client(outsider)
    denied_before = len(events(platform, "incident.access_denied"))
    authz_before = len(events(platform, "authz.denied"))
    not_found = forbidden = 0
    for method, path, body, form in _routes(reference):
        answer = _call(api, method, path, body, form)
        assert answer.status_code in {403, 404}, (method, path, answer.status_code, answer.text)
        assert "web-01" not in answer.text, (method, path)  # nothing of the case leaks
        not_found += answer.status_code == 404
        forbidden += answer.status_code == 403
    listed = api.get("/api/incidents").json()
    assert listed == []
    register = api.get("/staff/incidents", headers=BROWSER)
    assert register.status_code == 200
    assert reference not in register.text
    assert len(events(platform, "incident.access_denied")) - denied_before == not_found
    assert len(events(platform, "authz.denied")) - authz_before == forbidden
    assert not_found >= 6 and forbidden >= 6  # noqa: PT018 - both kinds of refusal were met


@pytest.mark.policy("SP-IRT")
@pytest.mark.parametrize("viewer", ["ted", "dev", "amy", "dpo", "dan"])
def test_members_directors_and_the_dpo_see_it(client, reference, viewer):
    api = client(viewer)
    assert api.get(f"/api/incidents/{reference}").status_code == 200
    assert [row["reference"] for row in api.get("/api/incidents").json()] == [reference]
    page = api.get(f"/staff/incidents/{reference}", headers=BROWSER)
    assert page.status_code == 200
    assert "web-01" in page.text


@pytest.mark.policy("SP-IRT")
def test_a_director_or_the_dpo_off_the_team_reads_but_does_not_act(platform, client, reference):
    for name in ("dan", "dpo"):
        refused = client(name).post(f"/api/incidents/{reference}/actions", json=ACTION)
        assert refused.status_code == 403
        assert "Only the response team" in refused.json()["detail"]
    assert len(events(platform, "incident.access_denied")) == 2
    member = client("amy").post(f"/api/incidents/{reference}/actions", json=ACTION)
    assert member.status_code == 201


@pytest.mark.policy("SP-REPORT")
def test_the_reporter_is_told_the_reference_not_shown_the_case(client):
    made = client("sue").post("/api/incidents", json=REPORT).json()
    assert made["reference"].startswith("INC-")
    assert client("sue").get(f"/api/incidents/{made['reference']}").status_code == 404
    assert client("ivy").get(f"/api/incidents/{made['reference']}").status_code == 200
