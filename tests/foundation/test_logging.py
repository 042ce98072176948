"""Structured logs never carry personal values, secrets or card numbers."""

from __future__ import annotations

import json
import logging

import pytest

from klaremont import logging as klog


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
