"""Structured logs never carry personal values, secrets or card numbers."""

from __future__ import annotations

import json
import logging

import pytest

from klaremont import logging as klog

pytestmark = pytest.mark.usefixtures("restored_logging")


@pytest.mark.policy("IS-SENS-CVV")
def test_sensitive_keys_and_card_numbers_are_redacted(capsys) -> None:
    """Values of sensitive keys are dropped and PAN-like digit runs masked in every field."""
    klog.configure(json=True, level=logging.INFO)
    log = klog.get_logger("test")
    log.info(
        "signup",
        email="ada@example.com",
        password="hunter2hunter2",
        cvv="123",
        note="card 4111 1111 1111 1111 on file",
        count=3,
    )
    line = capsys.readouterr().err.strip().splitlines()[-1]
    event = json.loads(line)
    assert event["email"] == "[redacted]"
    assert event["password"] == "[redacted]"
    assert event["cvv"] == "[redacted]"
    assert "4111" not in event["note"]
    assert event["count"] == 3
    assert "ada@example.com" not in line
    assert "hunter2" not in line


@pytest.mark.parametrize("as_json", [True, False])
def test_control_characters_from_a_request_are_escaped_in_the_log(capsys, as_json) -> None:
    """A path with ESC, BEL, NUL, C1 or a line break (``/x%1B%5B2J%07%00%0A``) is written
    with those characters escaped, in both renderings: raw, they would drive the terminal of
    whoever reads the log or forge a line of it. A traceback keeps its own line breaks."""
    klog.configure(json=as_json, level=logging.INFO)
    log = klog.get_logger("test")
    log.info("request", path="/x\x1b[2J\x1b]0;pwned\x07\x00\u009b\nforged=1", **{"k\x1b": 1})
    try:
        raise ValueError("bad")  # noqa: TRY301 - a traceback to log
    except ValueError:
        log.exception("failed", path="/y\x00")
    out = capsys.readouterr().err
    request_line, *rest = out.strip().splitlines()
    assert not any(c in out for c in "\x1b\x07\x00\u009b")
    assert "forged=1" in request_line  # on the request's own line, not a new one
    if as_json:
        assert json.loads(request_line)["path"].startswith("/x\\x1b[2J\\x1b]0;pwned\\x07")
        [failed] = rest
        traceback = json.loads(failed)["exception"]
    else:
        assert "\\x1b[2J" in request_line
        traceback = "\n".join(rest)
    assert traceback.count("\n") > 2  # the traceback's own lines kept
    assert "ValueError: bad" in traceback
