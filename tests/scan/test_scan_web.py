"""The scans API and console: who may read and run, the only target the API scans is the
platform's own data, findings and reports show masked samples only, the pages speak in words."""

from __future__ import annotations

import json

import pytest
from scanweb_support import BROWSER, CARD, CARD_SPACED, people, plant

from klaremont.detectors.bulk import kinds_of
from klaremont.detectors.kinds import Group
from klaremont.errors import ValidationFailed
from klaremont.scan import engine, jobs, service
from klaremont.scan.selfscan import SELF_LABEL
from klaremont.testing.staff import staff_client


@pytest.fixture
def signed_in(platform):
    people(platform)
    made = {}

    def client(username: str):
        if username not in made:
            made[username] = staff_client(platform, username).__enter__()
        return made[username]

    yield client
    for one in made.values():
        one.__exit__(None, None, None)


def _no_card_number(text: str) -> None:
    for spelling in (CARD, CARD_SPACED):
        assert spelling not in text


@pytest.mark.policy("IS-SENS-NEED")
def test_who_may_read_and_run(signed_in):
    sal, dina, iris = signed_in("sal"), signed_in("dina"), signed_in("iris")
    assert sal.get("/api/scans").status_code == 403
    assert sal.post("/api/scans", json={"target": "self"}).status_code == 403
    assert dina.get("/api/scans").json() == []
    assert dina.post("/api/scans", json={"target": "self"}).status_code == 403
    made = iris.post("/api/scans", json={"target": "self"})
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "clean"
    assert made.json()["own_data"] is True
    reference = made.json()["reference"]
    assert [r["reference"] for r in dina.get("/api/scans").json()] == [reference]
    assert signed_in("dave").get(f"/api/scans/{reference}").status_code == 200
    assert signed_in("tess").post("/api/scans", json={"target": "self"}).status_code == 201
    assert sal.get(f"/api/scans/{reference}/report.json").status_code == 403
    assert sal.get("/staff/scans", headers=BROWSER).status_code == 403


@pytest.mark.parametrize(
    "body",
    [{"target": "/etc"}, {"target": "postgresql://db/shop"}, {}, {"target": "self", "x": 1}],
)
def test_the_api_scans_nothing_but_the_platforms_own_data(signed_in, body):
    iris = signed_in("iris")
    refused = iris.post("/api/scans", json=body)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    named = json.dumps(refused.json())
    assert "target" in named or "x" in named
    assert "/etc" not in named
    assert "shop" not in named
    assert iris.get("/api/scans").json() == []


@pytest.mark.policy("IS-SENS-MASK")
def test_findings_and_reports_are_masked(platform, signed_in):
    plant(platform)
    jobs.run_self(platform)
    dina = signed_in("dina")
    [run] = dina.get("/api/scans").json()
    assert run["status"] == "card_data"
    assert run["counts"] == {"card-number": 1}
    assert run["incident"].startswith("raised INC-")
    shown = dina.get(f"/api/scans/{run['reference']}")
    assert shown.json()["findings"][0]["sample"].endswith(CARD[-4:])
    _no_card_number(shown.text)
    for form, kind in (("json", "json"), ("sarif", "sarif"), ("html", "html")):
        for prefix in ("/api/scans", "/staff/scans"):
            got = dina.get(f"{prefix}/{run['reference']}/report.{form}")
            assert got.status_code == 200, (prefix, form)
            assert kind in got.headers["content-type"]
            assert CARD[-4:] in got.text
            _no_card_number(got.text)
    page = dina.get(f"/staff/scans/{run['reference']}/report.html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "'sha256-" in policy
    assert "script-src" not in policy
    assert dina.get("/api/scans/SC-2026-0099").status_code == 404


def test_the_console_pages_speak_in_words(platform, signed_in):
    iris, dina = signed_in("iris"), signed_in("dina")
    empty = dina.get("/staff/scans", headers=BROWSER)
    assert empty.status_code == 200
    assert "has not been scanned yet" in empty.text
    assert "Scan now" not in empty.text
    assert "Scan now" in iris.get("/staff/scans", headers=BROWSER).text
    done = iris.post(
        "/staff/scans/run",
        data={"csrf_token": iris.headers["X-CSRF-Token"]},
        headers=BROWSER,
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    clean_page = iris.get(done.headers["location"], headers=BROWSER)
    assert "Scan finished and recorded." in clean_page.text
    assert "Clean" in clean_page.text
    plant(platform)
    jobs.run_self(platform)
    listing = dina.get("/staff/scans", headers=BROWSER).text
    assert "Card data was found in Klaremont&#39;s own data" in listing
    assert "Card number: 1" in listing
    assert "SC-2026-0002" in listing
    one = dina.get("/staff/scans/SC-2026-0002", headers=BROWSER).text
    assert "Card number" in one
    assert "exports/orders-2026-03.csv" in one
    assert "line 2" in one
    assert "report.sarif" in one
    _no_card_number(one)
    for raw in ("card-number", "card_data", "IS-SENS", "scans:read"):
        assert raw not in one
        assert raw not in listing
    assert dina.get("/staff/scans/SC-2026-0042", headers=BROWSER).status_code == 404


def test_a_scan_that_cannot_run_is_said_on_the_page(signed_in, monkeypatch):
    iris = signed_in("iris")

    def refuse(*_: object) -> None:
        raise ValidationFailed.single("target", "no such file or directory")

    monkeypatch.setattr(service, "scan_own_data", refuse)
    said = iris.post(
        "/staff/scans/run",
        data={"csrf_token": iris.headers["X-CSRF-Token"]},
        headers=BROWSER,
        follow_redirects=False,
    )
    assert said.status_code == 422
    assert "no such file or directory" in said.text
    assert "No scans recorded yet." in said.text


def test_findings_other_than_card_data_are_for_review(platform, signed_in, tmp_path):
    (tmp_path / "mail.log").write_text("sent to ann@example.co.uk\n", "utf-8")
    request = engine.ScanRequest((str(tmp_path),), kinds_of([Group.PERSONAL]), label=SELF_LABEL)
    with platform.unit_of_work() as uow:
        service.record(uow, engine.run(request), raise_incident=True)
    listing = signed_in("dina").get("/staff/scans", headers=BROWSER).text
    assert "No card data in Klaremont&#39;s own data" in listing
    assert "other findings to review" in listing
    assert "E-mail address: 1" in listing
    assert "ann@" not in listing
