"""The policy file as typed data: every number the policies name, each with its rule.

Models are strict (no ``"3"`` for ``3``, no ``1`` for ``true``), frozen, and refuse unknown
keys. A rule that spans several fields raises ``ValueError("<field>: <rule>")`` so the
loader can name the exact dotted key (see :mod:`klaremont.policy.loader`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, model_validator

from klaremont.policy.base import (
    WEEKDAYS,
    Approval,
    CalendarDate,
    ClockTime,
    CountryCode,
    Section,
    Text,
    Weekday,
    _check_timezone,
    _raise_all,
    _unique,
    between,
)
from klaremont.policy.period import Period
from klaremont.policy.retention_rules import (
    ACTION_WORDS,
    CATEGORY_ACTIONS,
    CATEGORY_EVENTS,
    SEALED_CATEGORIES,
    Category,
    DataCategory,
    LegalHold,
    RetentionAction,
    RetentionEvent,
    RetentionRule,
    RetentionSchedule,
)

__all__ = [
    "ACTION_WORDS",
    "CATEGORY_ACTIONS",
    "CATEGORY_EVENTS",
    "SEALED_CATEGORIES",
    "WEEKDAYS",
    "Category",
    "DataCategory",
    "LegalHold",
    "PolicyFile",
    "RetentionAction",
    "RetentionEvent",
    "RetentionRule",
    "RetentionSchedule",
    "Section",
]

OWASP_ARGON2_MIN_MEMORY_KIB = 19456
OWASP_ARGON2_ONE_PASS_MEMORY_KIB = 47104


class Argon2Params(Section):
    """argon2id cost parameters (OWASP Password Storage Cheat Sheet)."""

    time_cost: Annotated[int, between(1, 10)]
    memory_kib: Annotated[
        int, between(OWASP_ARGON2_MIN_MEMORY_KIB, 4_194_304, "OWASP minimum for argon2id")
    ]
    parallelism: Annotated[int, between(1, 16)]

    @model_validator(mode="after")
    def _owasp_pairing(self) -> Self:
        if self.memory_kib < OWASP_ARGON2_ONE_PASS_MEMORY_KIB and self.time_cost < 2:  # noqa: PLR2004 - OWASP pairing
            _raise_all(
                [
                    (
                        "time_cost: must be at least 2 when memory_kib is below "
                        f"{OWASP_ARGON2_ONE_PASS_MEMORY_KIB} (OWASP)"
                    )
                ]
            )
        return self


class PasswordPolicy(Section):
    """Staff password rules (IS-PW-*)."""

    min_length: Annotated[int, between(8, 128)]
    min_zxcvbn_score: Annotated[int, between(0, 4)]
    expiry_days: Annotated[int, between(1, 365)]
    history_depth: Annotated[int, between(0, 24)]
    hash: Argon2Params


class LockoutPolicy(Section):
    """Account lockout after consecutive login failures (IS-PW-LOCK3).

    The lock lasts ``lockout_minutes`` and then ends by itself (PCI DSS 8.3.4: at least 30
    minutes, or until an administrator confirms the person's identity and unlocks it
    early), so nobody who merely knows a username can keep an administrator out. A burst
    of ``alert_lockouts`` locks within ``alert_window_minutes`` alerts technical operations.
    """

    threshold: Annotated[int, between(1, 10)]
    lockout_minutes: Annotated[int, between(30, 1440, "PCI DSS 8.3.4")]
    alert_lockouts: Annotated[int, between(2, 1000)]
    alert_window_minutes: Annotated[int, between(1, 1440)]


class SecondFactorPolicy(Section):
    """Who must use a second factor at every sign-in (PCI DSS 8.4.1, IS-RA-2FA)."""

    required_for_privileged: bool = True


class AccountPolicy(Section):
    """Staff account hygiene (IS-AC-INACTIVE, IS-AC-MAINT, IS-AC-REVIEW)."""

    inactivity_days: Annotated[int, between(1, 365)]
    maintenance_max_hours: Annotated[int, between(1, 72)]
    access_review_interval_days: Annotated[int, between(1, 365)]


class SessionPolicy(Section):
    """Staff console sessions (IS-USE-LOCK)."""

    idle_timeout_minutes: Annotated[int, between(1, 60)]
    absolute_timeout_hours: Annotated[int, between(1, 24)]
    reauth_for_sensitive_minutes: Annotated[int, between(1, 60)]
    api_token_max_days: Annotated[int, between(1, 365)]
    api_token_admin_minutes: Annotated[int, between(1, 60)]

    @model_validator(mode="after")
    def _idle_within_absolute(self) -> Self:
        problems = []
        if self.idle_timeout_minutes > self.absolute_timeout_hours * 60:
            problems.append("idle_timeout_minutes: must not exceed absolute_timeout_hours")
        if self.api_token_admin_minutes > self.reauth_for_sensitive_minutes:
            problems.append(
                "api_token_admin_minutes: must not exceed reauth_for_sensitive_minutes "
                "(an admin token is a fresh login)"
            )
        _raise_all(problems)
        return self


class CustomerSignInPolicy(Section):
    """Password guessing at the privacy centre's customer sign-in (DP-SECURE, IS-SENS-SAFE).

    A customer's address pauses for ``cooldown_minutes`` after ``max_failures`` wrong
    passwords within ``window_minutes``; a client address pauses after
    ``origin_max_failures``. The pause always ends by itself: an attacker must not be able
    to lock a customer out for good.
    """

    max_failures: Annotated[int, between(3, 20, "fewer would pause customers for a typo")]
    window_minutes: Annotated[int, between(1, 1440)]
    cooldown_minutes: Annotated[int, between(1, 1440, "a pause, never a permanent lock")]
    origin_max_failures: Annotated[int, between(3, 10_000)]

    @model_validator(mode="after")
    def _origin_allows_one_address(self) -> Self:
        if self.origin_max_failures < self.max_failures:
            _raise_all(["origin_max_failures: must not be lower than max_failures"])
        return self


class RemoteAccessPolicy(Section):
    """Remote access grants (IS-RA-2FA)."""

    mfa_required: bool
    approvals: Annotated[list[Approval], Field(min_length=1), AfterValidator(_unique)]


class DsrPolicy(Section):
    """Data subject request deadlines (UK GDPR Art. 12(3))."""

    deadline_months: Annotated[int, between(1, 1, "UK GDPR Art. 12(3): one month")]
    max_extension_months: Annotated[int, between(0, 2, "UK GDPR Art. 12(3)")]
    extension_notice_within_months: Annotated[int, between(1, 3)]
    identity_pause: bool

    @model_validator(mode="after")
    def _notice_within_deadline(self) -> Self:
        if self.extension_notice_within_months > self.deadline_months:
            _raise_all(["extension_notice_within_months: must not be later than deadline_months"])
        return self


class AccuracyPolicy(Section):
    """When a customer's details are due for review (DP-ACCURATE, UK GDPR Art. 5(1)(d))."""

    review_after_days: Annotated[int, between(30, 1825, "at most five years")]
    due_soon_days: Annotated[int, between(0, 365)]

    @model_validator(mode="after")
    def _soon_within_period(self) -> Self:
        if self.due_soon_days >= self.review_after_days:
            _raise_all(["due_soon_days: must be shorter than review_after_days"])
        return self


class BreachPolicy(Section):
    """Personal data breach notification (UK GDPR Art. 33)."""

    notify_authority_hours: Annotated[int, between(1, 72, "UK GDPR Art. 33")]


class WifiPolicy(Section):
    """The guest and staff wireless opening window (IS-WIFI-HOURS)."""

    days: Annotated[list[Weekday], Field(min_length=1), AfterValidator(_unique)]
    open: ClockTime
    close: ClockTime
    timezone: Annotated[str, AfterValidator(_check_timezone)]
    #: dates the wireless stays off although the weekday is open (bank holidays), UK dates
    closed_dates: Annotated[
        list[CalendarDate], Field(default_factory=list), AfterValidator(_unique)
    ]
    #: IS-WIFI-GUEST: a guest code works this many hours from its first use ...
    guest_valid_hours: Annotated[int, between(1, 168, "at most a week")] = 8
    #: ... and never later than this many days after it was issued, used or not
    guest_expiry_days: Annotated[int, between(1, 90)] = 7
    #: how many devices one guest code may connect
    guest_max_devices: Annotated[int, between(1, 10)] = 1
    #: IS-WIFI-STAFF: device MAC addresses one member of staff may register
    staff_max_devices: Annotated[int, between(1, 10)] = 3
    #: how long the records of logins, wireless sessions and guest devices are kept
    login_record_days: Annotated[int, between(1, 400, "PECR/UK GDPR: no longer than needed")] = 90

    @model_validator(mode="after")
    def _open_before_close(self) -> Self:
        problems: list[str] = []
        if self.open >= self.close:
            problems.append(f"open: must be earlier than close ({self.close:%H:%M})")
        if self.guest_valid_hours > self.guest_expiry_days * 24:
            problems.append("guest_valid_hours: must not be longer than guest_expiry_days")
        _raise_all(problems)
        return self

    def zone(self) -> ZoneInfo:
        """The local time zone of the window."""
        return ZoneInfo(self.timezone)

    def weekday_numbers(self) -> frozenset[int]:
        """The open days as ``datetime.weekday()`` numbers (Monday is 0)."""
        return frozenset(WEEKDAYS.index(day) for day in self.days)


UK_REGIME_START = date(2021, 1, 1)  # the UK's own adequacy regulations took over
#: a TOML date, or its ISO text once dumped to JSON
Day = Annotated[date, Field(strict=False)]


class ConditionalCountry(Section):
    """A country whose adequacy covers only some recipients (from ``since``, until ``until``)."""

    country: CountryCode
    condition: Text
    since: Day = UK_REGIME_START
    until: Day | None = None


class AdequacyDecision(Section):
    """Full adequacy made by UK regulations after the carried-over list, with its date."""

    country: CountryCode
    since: Day
    basis: Text
    until: Day | None = None


class TransferPolicy(Section):
    """Where personal data may go (DP-TRANSFER), as the UK GDPR reads it: a country outside
    the UK needs adequacy in force on the day of the transfer, or a recorded safeguard."""

    adequate_since: Day = UK_REGIME_START
    adequate: Annotated[list[CountryCode], Field(min_length=1), AfterValidator(_unique)]
    decisions: Annotated[list[AdequacyDecision], Field(default_factory=list)]
    conditional: Annotated[list[ConditionalCountry], Field(default_factory=list)]

    @model_validator(mode="after")
    def _no_overlap(self) -> Self:
        problems = [
            f"conditional: {entry.country!r} is already in adequate"
            for entry in self.conditional
            if entry.country in self.adequate
        ]
        seen = set(self.adequate) | {entry.country for entry in self.conditional}
        problems += [
            f"decisions: {entry.country!r} is already listed"
            for entry in self.decisions
            if entry.country in seen
        ]
        problems += [
            f"{name}: {entry.country!r} ends ({entry.until}) before it starts ({entry.since})"
            for name, entries in (("decisions", self.decisions), ("conditional", self.conditional))
            for entry in entries
            if entry.until is not None and entry.until < entry.since
        ]
        _raise_all(problems)
        return self


class DataResidency(Section):
    """Where the servers are (PP-UK)."""

    country: CountryCode


class ReviewPolicy(Section):
    """How often the policy itself is reviewed (DP-REVIEW)."""

    policy_review_interval_days: Annotated[int, between(30, 730)]


class AuditArchivePolicy(Section):
    """How long audit events stay in the table before they move to the archive (PCI DSS
    10.5.1: at least the last three months immediately available for analysis)."""

    online_months: Annotated[int, between(3, 12, "PCI DSS 10.5.1: three months online")] = 3


class SupportSharePolicy(Section):
    """When a support partner must have deleted data shared for a ticket (PP-SUPPORT)."""

    deletion_days_after_resolution: Annotated[int, between(1, 90)] = 14


class PolicyFile(Section):
    """The whole policy file."""

    version: Literal[1]
    passwords: PasswordPolicy
    lockout: LockoutPolicy
    accounts: AccountPolicy
    sessions: SessionPolicy
    remote_access: RemoteAccessPolicy
    second_factor: SecondFactorPolicy = SecondFactorPolicy()
    customer_signin: CustomerSignInPolicy
    retention: RetentionSchedule
    legal_holds: list[LegalHold]
    dsr: DsrPolicy
    accuracy: AccuracyPolicy
    breach: BreachPolicy
    wifi: WifiPolicy
    transfers: TransferPolicy
    data_residency: DataResidency
    review: ReviewPolicy
    audit_archive: AuditArchivePolicy = AuditArchivePolicy()
    support_shares: SupportSharePolicy = SupportSharePolicy()

    @model_validator(mode="after")
    def _cross_checks(self) -> Self:
        problems: list[str] = []
        for index, hold in enumerate(self.legal_holds):
            rule = self.retention.rule(hold.category)
            if not rule.period.at_least(hold.minimum):
                problems.append(
                    f"retention.{hold.category.value}.period: {rule.period} is shorter than "
                    f"the legal hold of {hold.minimum} (legal_holds.{index}: {hold.basis})"
                )
        problems.extend(self._crypto_shred_problems())
        if self.data_residency.country not in self.transfers.adequate:
            problems.append("data_residency.country: must be listed in transfers.adequate")
        _raise_all(problems)
        return self

    def _crypto_shred_problems(self) -> list[str]:
        """Destroying a person's data key makes every sealed value of theirs unreadable: a
        category may do it only if no other sealed category is kept longer or held."""
        problems: list[str] = []
        held = {hold.category for hold in self.legal_holds}
        for category, rule in self.retention.items():
            if rule.action != "crypto_shred":
                continue
            if category not in SEALED_CATEGORIES:
                problems.append(
                    f"retention.{category.value}.action: {category.value} is not sealed under "
                    "the person's data key, so there is no key to destroy; use 'delete'"
                )
                continue
            for other in sorted(SEALED_CATEGORIES - {category}):
                longer = not rule.period.at_least(self.retention.rule(other).period)
                if longer or other in held:
                    why = "is under a legal hold" if other in held else "is kept longer"
                    problems.append(
                        f"retention.{category.value}.action: 'crypto_shred' destroys the "
                        f"person's data key, but {other.value} {why} and is sealed under the "
                        "same key; use 'delete' (the key then goes when nothing needs it)"
                    )
                    break
        return problems

    def holds_for(self, category: DataCategory) -> list[LegalHold]:
        """Every legal hold on ``category``."""
        return [hold for hold in self.legal_holds if hold.category is category]

    @model_validator(mode="after")
    def _archive_within_retention(self) -> Self:
        kept = self.retention.rule(DataCategory.AUDIT_LOG).period
        months = self.audit_archive.online_months
        if not kept.at_least(Period(months=months)):
            problem = (
                f"audit_archive.online_months: {months} months is longer than "
                f"retention.audit_log.period ({kept})"
            )
            _raise_all([problem])
        return self
