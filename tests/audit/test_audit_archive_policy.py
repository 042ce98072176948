"""The online period of the audit log is policy: ``[audit_archive] online_months``, three to
twelve months (PCI DSS 10.5.1: the last three months immediately available) and never
longer than the audit log's retention period."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from klaremont.policy import loader
from klaremont.policy.loader import PolicyFileError, parse_policy

SHIPPED = Path(loader.__file__).with_name("klaremont.toml").read_text()


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_the_shipped_policy_keeps_three_months_online() -> None:
    assert parse_policy(SHIPPED).audit_archive.online_months == 3


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
@pytest.mark.parametrize("months", [2, 13])
def test_an_online_period_outside_three_to_twelve_months_is_refused(months: int) -> None:
    text = SHIPPED.replace("online_months = 3", f"online_months = {months}")
    with pytest.raises(PolicyFileError, match=r"audit_archive\.online_months: must be"):
        parse_policy(text)


@pytest.mark.policy("IS-AC-LOGIN-LOG", "IS-AC-CHD-LOG")
def test_an_online_period_longer_than_the_retention_period_is_refused() -> None:
    text = re.sub(
        r'(\[retention\.audit_log\][^\[]*?period = )"[^"]*"',
        r'\1"6m"',
        SHIPPED.replace("online_months = 3", "online_months = 9"),
    )
    assert 'period = "6m"' in text
    with pytest.raises(PolicyFileError, match=r"longer than retention\.audit_log\.period"):
        parse_policy(text)
