"""``klaremont media``: the whole life of an item at the shell, and the registers as files.
The operator who requests a disposal cannot approve it from the same account."""

from __future__ import annotations

import csv

import pytest


@pytest.mark.policy("IS-MEDIA-INVENTORY", "IS-MEDIA-DISPOSE")
def test_media_commands(platform, staff, run, tmp_path):
    del staff
    ok = run(
        "media",
        "add",
        "DISK-9",
        "--kind",
        "removable_disk",
        "--location",
        "Safe",
        "--custodian",
        "Tess",
        "--created",
        "2026-01-02",
        "--card-data",
    )
    assert ok.exit_code == 0, ok.output
    assert "DISK-9" in run("media", "list").output
    assert (
        "DISK-9" in run("media", "list", "--state", "in_store", "--kind", "removable_disk").output
    )
    bad = run("media", "list", "--kind", "floppy")
    assert bad.exit_code != 0
    moved = run(
        "media", "move", "DISK-9", "--to", "Leeds", "--handed-to", "Sal", "--approved-by", "iris"
    )
    assert moved.exit_code == 0, moved.output
    assert "approved by iris" in run("media", "show", "DISK-9").output
    assert run("media", "stocktake", "start").exit_code == 0
    assert run("media", "stocktake", "seen", "DISK-9").exit_code == 0
    assert "1 seen, 0 missing" in run("media", "stocktake", "finish").output
    asked = run("media", "dispose", "request", "DISK-9", "--reason", "Failed disk, replaced")
    assert "D-" in asked.output
    refused = run("media", "dispose", "approve", "DISK-9")
    assert refused.exit_code != 0
    assert "cannot approve it" in str(refused.exception) + refused.output
    html, inventory = tmp_path / "r.html", tmp_path / "i.csv"
    done = run("media", "register", "--html", str(html), "--csv", str(inventory))
    assert done.exit_code == 0, done.output
    assert "Disposal register (1)" in html.read_text()
    rows = list(csv.reader(inventory.read_text().splitlines()))
    assert rows[1][0] == "DISK-9"
    assert rows[1][10] == "Disposal requested"
