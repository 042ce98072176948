"""The media console and API: an item worked from registration to disposal through the
pages, refusals shown on the page and as problem+json naming the field, the registers as
HTML and CSV with what was recorded."""

from __future__ import annotations

import csv
import io

import pytest

BROWSER = {"Accept": "text/html"}
ITEM = {
    "label": "TAPE-2025-01",
    "kind": "tape",
    "holds": "both",
    "encryption": "LTO-8 hardware AES-256",
    "location": "Head office safe",
    "custodian": "Tess Ops",
    "created_on": "2025-06-30",
    "retention_due": "",
}


def _form(api, path: str, data: dict[str, str] | None = None):
    return api.post(
        path,
        data={**(data or {}), "csrf_token": api.headers["X-CSRF-Token"]},
        headers=BROWSER,
        follow_redirects=False,
    )


@pytest.mark.policy("IS-MEDIA-INVENTORY", "IS-MEDIA-DISPOSE", "IS-MEDIA-WIPE")
def test_an_item_is_worked_through_the_console(client):
    tess, iris, ian = client("tess"), client("iris"), client("ian")
    added = _form(tess, "/staff/media/add", ITEM)
    assert added.status_code == 303, added.text
    page = "/staff/media/item/TAPE-2025-01"
    assert added.headers["location"] == f"{page}?done=added"
    shown = tess.get(page, headers=BROWSER).text
    assert "LTO-8 hardware AES-256" in shown
    assert "Request disposal" in shown
    moved = _form(
        tess,
        f"{page}/move",
        {
            "to_location": "Courier to off-site store",
            "handed_to": "Courier Co",
            "approved_by": "iris",
            "direction": "out",
        },
    )
    assert moved.status_code == 303, moved.text
    assert (
        _form(tess, f"{page}/dispose/request", {"reason": "Past its retention date"}).status_code
        == 303
    )
    # the approve form is the ISO's alone; tess is refused by the guard
    assert _form(tess, f"{page}/dispose/approve").status_code == 403
    # carrying out before approval: refused on the page
    early = _form(
        tess,
        f"{page}/dispose/carry-out",
        {
            "category": "destroy",
            "technique": "shred",
            "performed_by": "A",
            "witness": "B",
            "certificate": "C",
        },
    )
    assert early.status_code == 409
    assert "approval first" in early.text
    assert _form(iris, f"{page}/dispose/approve").status_code == 303
    no_witness = _form(
        tess,
        f"{page}/dispose/carry-out",
        {
            "category": "destroy",
            "technique": "shred",
            "performed_by": "Shredco",
            "witness": "shredco",
            "certificate": "C-9",
        },
    )
    assert no_witness.status_code == 422
    assert "Witness: must be someone other than who carried it out" in no_witness.text
    done = _form(
        tess,
        f"{page}/dispose/carry-out",
        {
            "category": "destroy",
            "technique": "shred",
            "performed_by": "Shredco",
            "witness": "Tess Ops",
            "certificate": "SC-77",
        },
    )
    assert done.status_code == 303, done.text
    assert "Disposed of" in ian.get(page, headers=BROWSER).text
    register = ian.get("/staff/media/disposals", headers=BROWSER).text
    assert "SC-77" in register
    rows = list(csv.reader(io.StringIO(ian.get("/staff/media/disposals.csv").text)))
    assert rows[0][0] == "Disposal"
    assert rows[1][1] == "TAPE-2025-01"
    assert rows[1][4] == "tess"
    assert rows[1][7] == "iris"
    assert rows[1][9:14] == ["Destroy", "Shred", "Shredco", "Tess Ops", "SC-77"]
    inventory = list(csv.reader(io.StringIO(ian.get("/staff/media/inventory.csv").text)))
    assert inventory[1][:4] == ["TAPE-2025-01", "Tape", "yes", "yes"]
    printable = ian.get("/staff/media/registers.html").text
    assert "<h2>Disposal register (1)</h2>" in printable
    assert "SC-77" in printable


@pytest.mark.policy("IS-MEDIA-DISPOSE")
def test_the_api_refuses_the_requester_approving_and_names_fields(client):
    iris, ian = client("iris"), client("ian")
    assert (
        iris.post(
            "/api/media",
            json={**{k: v for k, v in ITEM.items() if k not in {"holds", "retention_due"}}},
        ).status_code
        == 201
    )
    assert (
        iris.post(
            "/api/media/TAPE-2025-01/disposal", json={"reason": "No longer needed"}
        ).status_code
        == 201
    )
    refused = iris.post("/api/media/TAPE-2025-01/disposal/approve")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "cannot approve it" in refused.json()["detail"]
    assert ian.post("/api/media/TAPE-2025-01/disposal/approve").status_code == 200
    methodless = iris.post("/api/media/TAPE-2025-01/disposal/carry-out", json={"witness": "W"})
    assert methodless.status_code == 422
    assert "category" in methodless.text
    assert "technique" in methodless.text
    listed = client("dina").get("/api/media").json()
    assert [i["label"] for i in listed] == ["TAPE-2025-01"]
    assert client("sal").get("/api/media").status_code == 403


def test_the_stocktake_page_counts(client):
    tess = client("tess")
    assert _form(tess, "/staff/media/add", ITEM).status_code == 303
    assert _form(tess, "/staff/media/stocktake/start").status_code == 303
    seen = _form(tess, "/staff/media/stocktake/seen", {"label": "TAPE-2025-01"})
    assert seen.status_code == 303
    unknown = _form(tess, "/staff/media/stocktake/seen", {"label": "NOPE"})
    assert unknown.status_code == 404
    assert _form(tess, "/staff/media/stocktake/finish").status_code == 303
    page = tess.get("/staff/media/stocktake", headers=BROWSER).text
    assert "1 seen, 0 missing" in page
    assert "Media" in tess.get("/staff/media?state=in_store&kind=tape", headers=BROWSER).text


@pytest.mark.policy("IS-MEDIA-PROTECT")
def test_the_api_moves_and_counts(client):
    iris, tess = client("iris"), client("tess")
    body = {k: v for k, v in ITEM.items() if k not in {"holds", "retention_due"}}
    assert tess.post("/api/media", json=body).status_code == 201
    unapproved = tess.post(
        "/api/media/TAPE-2025-01/moves",
        json={"to_location": "Leeds", "handed_to": "Sal", "approved_by": "tess"},
    )
    assert unapproved.status_code == 422
    assert [e["field"] for e in unapproved.json()["errors"]] == ["approved_by"]
    moved = tess.post(
        "/api/media/TAPE-2025-01/moves",
        json={"to_location": "Leeds", "handed_to": "Sal", "approved_by": "iris"},
    )
    assert moved.json()["state"] == "out"
    assert tess.post("/api/media/stocktake").json()["expected"] == 1
    finished = tess.post("/api/media/stocktake/finish").json()
    assert finished["missing_labels"] == ["TAPE-2025-01"]
    assert iris.get("/api/media/TAPE-2025-01").json()["state"] == "missing"
    assert "TAPE-2025-01" in iris.get("/api/media/registers/inventory.csv").text
    assert iris.get("/api/media/registers/disposals.csv").text.startswith("Disposal,")
