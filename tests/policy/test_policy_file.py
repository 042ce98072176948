"""The policy file: the shipped values, and every rule a bad file breaks, named by dotted key."""

from __future__ import annotations

from datetime import time

import pytest
from policyhelp import drop_key, set_key, shipped_text

from klaremont.errors import PolicyFileError
from klaremont.policy.loader import load_policy, parse_policy, validate_policy
from klaremont.policy.model import CATEGORY_EVENTS, DataCategory, PolicyFile, RetentionSchedule
from klaremont.policy.period import Period


def problems_of(document: dict) -> list[str]:
    """The ``key: rule`` lines a document is refused with."""
    with pytest.raises(PolicyFileError) as caught:
        validate_policy(document)
    return [f"{p.field}: {p.rule}" for p in caught.value.problems]


def test_shipped_policy_carries_the_policy_numbers():
    """The shipped file holds the numbers the written policies name."""
    policy = load_policy(None)
    assert policy.passwords.expiry_days == 60
    assert policy.passwords.min_length == 12
    assert policy.passwords.min_zxcvbn_score == 3
    assert policy.passwords.history_depth == 12
    assert policy.passwords.hash.memory_kib >= 19456
    assert policy.lockout.threshold == 3
    assert policy.lockout.lockout_minutes == 30
    assert policy.second_factor.required_for_privileged is True
    assert policy.accounts.inactivity_days == 90
    assert policy.sessions.idle_timeout_minutes == 15
    assert policy.remote_access.mfa_required is True
    assert policy.remote_access.approvals == ["line_manager", "technical_operations"]
    assert policy.breach.notify_authority_hours == 72
    assert policy.dsr.deadline_months == 1
    assert policy.dsr.max_extension_months == 2
    assert policy.wifi.days == ["mon", "tue", "wed", "thu", "fri"]
    assert (policy.wifi.open, policy.wifi.close) == (time(8, 0), time(18, 30))
    assert policy.wifi.timezone == "Europe/London"
    assert policy.wifi.weekday_numbers() == frozenset(range(5))
    assert policy.data_residency.country == "GB"


def test_shipped_policy_is_cached():
    """Loading the shipped policy twice returns the same validated object."""
    assert load_policy(None) is load_policy(None)


@pytest.mark.policy("DP-RETAIN")
def test_every_data_category_has_a_retention_rule():
    """The retention schedule names a period, a start event and an action for every category."""
    policy = load_policy(None)
    assert set(RetentionSchedule.model_fields) == {c.value for c in DataCategory}
    for category, rule in policy.retention.items():
        assert isinstance(rule.period, Period), category
        assert rule.action in {"delete", "anonymise", "crypto_shred"}
        assert rule.after in CATEGORY_EVENTS[category], category
        assert len(rule.justification) > 40, category  # PCI DSS 3.2.1: a real justification
    assert policy.retention.rule(DataCategory.INVOICES).period == Period(years=6)


@pytest.mark.policy("DP-RETAIN")
def test_invoices_are_under_a_six_year_legal_hold():
    """Invoices carry the six-year HMRC / Companies Act hold, and their period honours it."""
    policy = load_policy(None)
    [hold] = policy.holds_for(DataCategory.INVOICES)
    assert hold.minimum == Period(years=6)
    assert "HMRC" in hold.basis
    assert policy.retention.invoices.period.at_least(hold.minimum)


def test_transfer_list_is_iso_codes_with_the_uk_and_the_eea():
    """The adequacy list uses ISO alpha-2 codes: GB (not UK), every EEA state, no duplicates."""
    transfers = load_policy(None).transfers
    eea = (
        "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO"
    )
    assert set(eea.split()) <= set(transfers.adequate)
    assert "GB" in transfers.adequate
    assert len(transfers.adequate) == len(set(transfers.adequate))
    assert {entry.country for entry in transfers.conditional} == {"CA", "JP", "US"}


def test_policy_round_trips_through_json():
    """Dumping the policy to JSON and validating it again gives the same policy."""
    policy = load_policy(None)
    dumped = policy.model_dump(mode="json")
    assert dumped["retention"]["invoices"]["period"] == "6y"
    assert dumped["wifi"]["open"] == "08:00"
    assert PolicyFile.model_validate(dumped) == policy


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("passwords.expiry_days", 0, "passwords.expiry_days: must be an integer from 1 to 365"),
        ("passwords.expiry_days", 400, "passwords.expiry_days: must be an integer from 1 to 365"),
        ("passwords.expiry_days", "60", "passwords.expiry_days: must be an integer, not '60'"),
        ("passwords.expiry_days", 60.0, "passwords.expiry_days: must be an integer"),
        ("passwords.expiry_days", True, "passwords.expiry_days: must be an integer"),
        ("passwords.min_length", 7, "passwords.min_length: must be an integer from 8 to 128"),
        ("passwords.min_zxcvbn_score", 5, "passwords.min_zxcvbn_score: must be an integer from 0"),
        (
            "passwords.hash.memory_kib",
            8192,
            "passwords.hash.memory_kib: must be an integer from 19456",
        ),
        ("passwords.hash.memory_kib", 8192, "OWASP minimum for argon2id"),
        (
            "passwords.hash.time_cost",
            1,
            "passwords.hash.time_cost: must be at least 2 when memory_kib",
        ),
        ("lockout.threshold", 0, "lockout.threshold: must be an integer from 1 to 10"),
        ("lockout.threshold", 11, "lockout.threshold: must be an integer from 1 to 10, not 11"),
        ("lockout.threshold", "3", "lockout.threshold: must be an integer, not '3'"),
        ("lockout.lockout_minutes", 29, "lockout.lockout_minutes: must be an integer from 30"),
        ("lockout.lockout_minutes", 29, "PCI DSS 8.3.4"),
        ("lockout.lockout_minutes", 1441, "lockout.lockout_minutes: must be an integer from 30"),
        ("lockout.alert_lockouts", 1, "lockout.alert_lockouts: must be an integer from 2"),
        ("lockout.alert_window_minutes", 0, "lockout.alert_window_minutes: must be an integer"),
        (
            "second_factor.required_for_privileged",
            "yes",
            "second_factor.required_for_privileged: must be true or false",
        ),
        ("accounts.inactivity_days", 0, "accounts.inactivity_days: must be an integer from 1"),
        ("accounts.maintenance_max_hours", 100, "accounts.maintenance_max_hours: must be an"),
        ("sessions.idle_timeout_minutes", 0, "sessions.idle_timeout_minutes: must be an integer"),
        ("remote_access.mfa_required", 1, "remote_access.mfa_required: must be true or false"),
        ("remote_access.mfa_required", "yes", "remote_access.mfa_required: must be true or false"),
        ("remote_access.approvals", [], "remote_access.approvals: must have at least 1 item"),
        ("remote_access.approvals", ["ceo"], "remote_access.approvals.0: must be 'line_manager'"),
        (
            "remote_access.approvals",
            ["line_manager", "line_manager"],
            "remote_access.approvals: must not list 'line_manager' twice",
        ),
        ("retention.invoices.period", "6 years", "retention.invoices.period: must be a period"),
        ("retention.invoices.period", "0d", "retention.invoices.period: must be longer than zero"),
        ("retention.invoices.period", 6, "retention.invoices.period: must be a period"),
        ("retention.contact.period", "200y", "retention.contact.period: must be at most 100 years"),
        ("retention.contact.action", "purge", "retention.contact.action: must be 'delete', "),
        (
            "retention.contact.after",
            "whenever",
            "retention.contact.after: must be 'account_closed'",
        ),
        ("retention.invoices.after", "staff_left", "retention.invoices.after: invoices cannot be"),
        ("retention.orders.after", "recorded", "it can be counted from 'order_placed'"),
        ("retention.invoices.action", "anonymise", "retention.invoices.action: invoices cannot be"),
        ("retention.contact.justification", "", "retention.contact.justification: must not be"),
        ("retention.payment_cards.action", "crypto_shred", "but address is kept longer"),
        ("retention.contact.action", "crypto_shred", "but invoices is under a legal hold"),
        (
            "retention.tapes",
            {"period": "1y", "after": "recorded", "action": "delete", "justification": "x"},
            "retention.tapes: unknown data category (a retention rule names one of: identity",
        ),
        ("retention.identity.action", "crypto_shred", "invoices is under a legal hold"),
        ("retention.audit_log.action", "crypto_shred", "audit_log is not sealed"),
        ("retention.invoices.period", "5y", "retention.invoices.period: 5y is shorter than"),
        ("legal_holds.0.category", "tax", "legal_holds.0.category: must be a data category"),
        ("legal_holds.0.basis", "", "legal_holds.0.basis: must not be empty"),
        ("dsr.deadline_months", 2, "dsr.deadline_months: must be 1"),
        ("dsr.max_extension_months", 3, "dsr.max_extension_months: must be an integer from 0 to 2"),
        ("breach.notify_authority_hours", 96, "breach.notify_authority_hours: must be an integer"),
        ("wifi.open", "19:00", "wifi.open: must be earlier than close (18:30)"),
        ("wifi.open", "8am", "wifi.open: must be a 24-hour time written 'HH:MM'"),
        ("wifi.close", "24:00", "wifi.close: must be a 24-hour time"),
        ("wifi.timezone", "Europe/Londres", "wifi.timezone: 'Europe/Londres' is not an IANA time"),
        ("wifi.timezone", "../../etc/passwd", "wifi.timezone: '../../etc/passwd' is not an IANA"),
        ("wifi.days", ["mon", "funday"], "wifi.days.1: must be 'mon', 'tue'"),
        ("wifi.days", [], "wifi.days: must have at least 1 item"),
        ("wifi.closed_dates", ["25/12/2026"], "wifi.closed_dates.0: must be a date written"),
        ("wifi.closed_dates", ["2026-12-25", "2026-12-25"], "wifi.closed_dates: must not list"),
        ("wifi.guest_valid_hours", 0, "wifi.guest_valid_hours: must be an integer from 1 to 168"),
        ("wifi.guest_valid_hours", 200, "wifi.guest_valid_hours: must be an integer"),
        ("wifi.guest_expiry_days", 0, "wifi.guest_expiry_days: must be an integer from 1 to 90"),
        ("wifi.guest_max_devices", 11, "wifi.guest_max_devices: must be an integer from 1 to 10"),
        ("wifi.staff_max_devices", 0, "wifi.staff_max_devices: must be an integer from 1 to 10"),
        ("wifi.login_record_days", 1000, "wifi.login_record_days: must be an integer from 1"),
        ("transfers.adequate.0", "UK", "transfers.adequate.0: 'UK' is reserved"),
        ("transfers.adequate.0", "XX", "transfers.adequate.0: 'XX' is not an ISO 3166-1 alpha-2"),
        ("transfers.adequate.1", "gb", "transfers.adequate.1: 'gb' is not an ISO 3166-1 alpha-2"),
        ("transfers.conditional.0.country", "FR", "transfers.conditional: 'FR' is already in"),
        ("data_residency.country", "US", "data_residency.country: must be listed in transfers"),
        ("review.policy_review_interval_days", 5, "review.policy_review_interval_days: must be"),
        ("version", 2, "version: must be 1"),
    ],
)
def test_bad_value_is_refused_with_its_dotted_key_and_rule(document, key, value, expected):
    """Each broken rule is reported as ``dotted.key: rule``."""
    if key == "transfers.adequate.0" and value == "UK":
        document["transfers"]["adequate"].remove("GB")
    set_key(document, key, value)
    problems = problems_of(document)
    assert any(line.startswith(expected) or expected in line for line in problems), problems


@pytest.mark.parametrize(
    "key",
    ["passwords.expiry_days", "lockout", "retention.wifi_credentials", "wifi.timezone", "version"],
)
def test_missing_key_is_named(document, key):
    """A missing key is reported by its dotted name."""
    drop_key(document, key)
    assert f"{key}: missing key (required)" in problems_of(document)


@pytest.mark.parametrize(
    ("key", "value"),
    [("passwords.maximum_length", 64), ("lockout.threshhold", 3), ("colour", "blue")],
)
def test_unknown_key_is_refused(document, key, value):
    """A misspelt or unknown key is refused rather than silently ignored."""
    set_key(document, key, value)
    assert f"{key}: unknown key (not part of the policy file)" in problems_of(document)


def test_every_problem_is_listed_at_once(document):
    """One load reports every broken rule, not only the first."""
    set_key(document, "passwords.expiry_days", 0)
    set_key(document, "lockout.threshold", 42)
    set_key(document, "wifi.timezone", "Nowhere/Town")
    drop_key(document, "breach.notify_authority_hours")
    with pytest.raises(PolicyFileError) as caught:
        validate_policy(document, source="mine.toml")
    fields = [p.field for p in caught.value.problems]
    assert fields == [
        "passwords.expiry_days",
        "lockout.threshold",
        "breach.notify_authority_hours",
        "wifi.timezone",
    ]
    message = caught.value.detail
    assert message.startswith("policy file mine.toml is not valid (4 problems):")
    assert "  lockout.threshold: must be an integer from 1 to 10, not 42" in message
    assert "pydantic" not in message
    assert "validation error" not in message.lower()


def test_a_longer_lock_is_accepted(document):
    """Any lock period from 30 minutes to a day is a valid choice."""
    set_key(document, "lockout.lockout_minutes", 120)
    assert validate_policy(document).lockout.lockout_minutes == 120


def test_file_override_is_read_from_disk(tmp_path):
    """``load_policy(path)`` reads the named file instead of the shipped one."""
    path = tmp_path / "policy.toml"
    path.write_text(shipped_text().replace("expiry_days = 60", "expiry_days = 45"), "utf-8")
    assert load_policy(path).passwords.expiry_days == 45


def test_missing_file_and_broken_toml_are_policy_errors(tmp_path):
    """A missing file or invalid TOML is a PolicyFileError naming the file, not a crash."""
    with pytest.raises(PolicyFileError, match="cannot be read"):
        load_policy(tmp_path / "absent.toml")
    with pytest.raises(PolicyFileError, match="not valid TOML") as caught:
        parse_policy("passwords = [", source="broken.toml")
    assert caught.value.problems[0].field == "(file)"
