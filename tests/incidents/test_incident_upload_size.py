"""Evidence uploads: allowed up to the evidence size (more than the 1 MiB of other bodies),
refused above it before being read, and never spooled to the system temp directory in the
clear while the form is parsed."""

from __future__ import annotations

import tempfile

import pytest
from casefile_support import open_case, upload

MIB = 1024 * 1024


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_an_upload_over_1_mib_is_taken_in_without_a_temp_file(platform, client, monkeypatch):
    reference = open_case(client)
    made: list[object] = []
    real = tempfile.TemporaryFile

    def spy(*args, **kwargs):
        made.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", spy)
    taken = upload(client("ted"), reference, content=b"A" * (3 * MIB))
    assert taken.status_code == 201, taken.text
    assert made == []  # the upload stayed in memory: no clear copy on disk


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_an_upload_over_the_evidence_size_is_refused_unread(platform, client, monkeypatch):
    monkeypatch.setenv("KLAREMONT_EVIDENCE_MAX_MEGABYTES", "1")
    reference = open_case(client)
    from fastapi.testclient import TestClient  # noqa: PLC0415

    from klaremont.web.app import create_app  # noqa: PLC0415 - built with the smaller size

    with TestClient(create_app(platform), base_url="https://testserver") as small:
        small.headers.update(client("ted").headers)
        small.cookies.update(client("ted").cookies)
        refused = upload(small, reference, content=b"A" * (3 * MIB))
    assert refused.status_code == 413
    assert refused.json()["detail"] == "the request body must be at most 2 MiB for this address"
