"""The policy file as typed data: every number the policies name, each with its rule.

Models are strict (no ``"3"`` for ``3``, no ``1`` for ``true``), frozen, and refuse unknown
keys. A rule that spans several fields raises ``ValueError("<field>: <rule>")`` so the
loader can name the exact dotted key (see :mod:`klaremont.policy.loader`).
"""

from __future__ import annotations

import re
from datetime import date, time
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    model_validator,
)

from klaremont.policy.countries import check_alpha2
from klaremont.policy.period import Period

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

OWASP_ARGON2_MIN_MEMORY_KIB = 19456
OWASP_ARGON2_ONE_PASS_MEMORY_KIB = 47104


def between(lo: int, hi: int, why: str = "") -> AfterValidator:
    """A validator refusing integers outside ``lo..hi`` with a readable rule."""
    rule = f"must be {lo}" if lo == hi else f"must be an integer from {lo} to {hi}"
    suffix = f" ({why})" if why else ""

    def check(value: int) -> int:
        if not lo <= value <= hi:
            raise ValueError(f"{rule}{suffix}, not {value}")
        return value

    return AfterValidator(check)


def _unique(values: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"must not list {value!r} twice")
        seen.add(value)
    return values


def _raise_all(problems: Sequence[str]) -> None:
    """Raise one ValueError carrying every ``field: rule`` line (the loader splits them)."""
    if problems:
        raise ValueError("\n".join(problems))


_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def _parse_hhmm(value: object) -> time:
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not _HHMM.fullmatch(value):
        raise ValueError("must be a 24-hour time written 'HH:MM', such as '08:00'")
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _check_timezone(key: str) -> str:
    try:
        ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{key!r} is not an IANA time zone known to zoneinfo") from exc
    return key


ClockTime = Annotated[
    time, PlainValidator(_parse_hhmm), PlainSerializer(lambda t: t.strftime("%H:%M"))
]


def _parse_date(value: object) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("must be a date written YYYY-MM-DD, such as 2026-12-25")


CalendarDate = Annotated[date, PlainValidator(_parse_date), PlainSerializer(date.isoformat)]
CountryCode = Annotated[str, AfterValidator(check_alpha2)]
Text = Annotated[str, Field(min_length=1)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Approval = Literal["line_manager", "technical_operations"]
#: What happens when a period ends: ``delete`` the rows (or fields), ``anonymise`` (keep the
#: record, remove every link to the person), ``crypto_shred`` (delete, and destroy the
#: person's data key in the same run so every copy, backups included, is unreadable at once).
RetentionAction = Literal["delete", "anonymise", "crypto_shred"]
#: The actions as people read them.
ACTION_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "delete": "deleted",
        "anonymise": "anonymised (kept without any link to the person)",
        "crypto_shred": "deleted, and the person's data key destroyed",
    }
)
#: The events a retention period runs from.
RetentionEvent = Literal[
    "account_closed",
    "last_activity",
    "last_order",
    "order_placed",
    "invoice_issued",
    "consent_withdrawn",
    "request_closed",
    "contact_resolved",
    "session_ended",
    "incident_closed",
    "staff_left",
    "code_expired",
    "recorded",
]


class DataCategory(StrEnum):
    """Every category of personal data the platform holds; each needs a retention rule."""

    IDENTITY = "identity"
    CONTACT = "contact"
    ADDRESS = "address"
    ORDERS = "orders"
    INVOICES = "invoices"
    PAYMENT_CARDS = "payment_cards"
    MARKETING_PREFERENCES = "marketing_preferences"
    ACCOUNT_PASSWORD = "account_password"  # noqa: S105 - a category name, not a secret
    SUPPORT_CONTACTS = "support_contacts"
    CONSENT_RECORDS = "consent_records"
    DATA_SUBJECT_REQUESTS = "data_subject_requests"
    AUDIT_LOG = "audit_log"
    INCIDENT_RECORDS = "incident_records"
    STAFF_ACCOUNTS = "staff_accounts"
    WIFI_CREDENTIALS = "wifi_credentials"


def _to_category(value: object) -> object:
    if isinstance(value, str) and not isinstance(value, DataCategory):
        try:
            return DataCategory(value)
        except ValueError:
            names = ", ".join(c.value for c in DataCategory)
            raise ValueError(f"must be a data category ({names}), not {value!r}") from None
    return value


Category = Annotated[DataCategory, BeforeValidator(_to_category)]

_PERSON: tuple[RetentionEvent, ...] = ("last_activity", "account_closed")
_DELETE: tuple[RetentionAction, ...] = ("delete", "crypto_shred")
_ANY: tuple[RetentionAction, ...] = ("delete", "anonymise", "crypto_shred")
C_ = DataCategory
#: The events each category's period may run from (what its records carry a date for).
CATEGORY_EVENTS: Mapping[DataCategory, tuple[RetentionEvent, ...]] = MappingProxyType(
    {
        C_.IDENTITY: (*_PERSON, "last_order"),
        C_.CONTACT: (*_PERSON, "last_order"),
        C_.ADDRESS: (*_PERSON, "last_order"),
        C_.ORDERS: ("order_placed", *_PERSON, "last_order"),
        C_.INVOICES: ("invoice_issued",),
        C_.PAYMENT_CARDS: (*_PERSON, "last_order"),
        C_.MARKETING_PREFERENCES: (*_PERSON, "consent_withdrawn"),
        C_.ACCOUNT_PASSWORD: ("account_closed", "last_activity"),
        C_.SUPPORT_CONTACTS: ("contact_resolved",),
        C_.CONSENT_RECORDS: ("consent_withdrawn",),
        C_.DATA_SUBJECT_REQUESTS: ("request_closed",),
        C_.AUDIT_LOG: ("recorded",),
        C_.INCIDENT_RECORDS: ("incident_closed",),
        C_.STAFF_ACCOUNTS: ("staff_left",),
        C_.WIFI_CREDENTIALS: ("code_expired", "session_ended"),
    }
)
#: Categories whose values are sealed under the person's data key (crypto-shredding reaches them).
SEALED_CATEGORIES: frozenset[DataCategory] = frozenset(
    {C_.IDENTITY, C_.CONTACT, C_.ADDRESS, C_.INVOICES, C_.PAYMENT_CARDS, C_.SUPPORT_CONTACTS}
)
#: What may happen to each category when its period ends (anonymising needs a record that
#: still means something without the person: an order, a staff account's history).
CATEGORY_ACTIONS: Mapping[DataCategory, tuple[RetentionAction, ...]] = MappingProxyType(
    {
        **dict.fromkeys(DataCategory, _DELETE),
        C_.IDENTITY: _ANY,
        C_.ORDERS: _ANY,
        C_.STAFF_ACCOUNTS: _ANY,
    }
)


class Section(BaseModel):
    """Base of every policy table: strict, frozen, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


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


class RetentionRule(Section):
    """How long one data category is kept, from which event, what happens after, and why
    (PCI DSS 3.2.1 asks for a justification of every period)."""

    period: Period
    after: RetentionEvent
    action: RetentionAction
    justification: Text


class RetentionSchedule(Section):
    """One rule per :class:`DataCategory`; a missing category is a missing key."""

    identity: RetentionRule
    contact: RetentionRule
    address: RetentionRule
    orders: RetentionRule
    invoices: RetentionRule
    payment_cards: RetentionRule
    marketing_preferences: RetentionRule
    account_password: RetentionRule
    support_contacts: RetentionRule
    consent_records: RetentionRule
    data_subject_requests: RetentionRule
    audit_log: RetentionRule
    incident_records: RetentionRule
    staff_accounts: RetentionRule
    wifi_credentials: RetentionRule

    @model_validator(mode="after")
    def _events_fit_categories(self) -> Self:
        problems = []
        for category, rule in self.items():
            allowed = CATEGORY_EVENTS[category]
            if rule.after not in allowed:
                problems.append(
                    f"{category.value}.after: {category.value} cannot be counted from "
                    f"{rule.after!r}; it can be counted from " + ", ".join(map(repr, allowed))
                )
            if rule.action not in CATEGORY_ACTIONS[category]:
                problems.append(
                    f"{category.value}.action: {category.value} cannot be {rule.action!r}; "
                    "it can be " + ", ".join(map(repr, CATEGORY_ACTIONS[category]))
                )
        _raise_all(problems)
        return self

    def rule(self, category: DataCategory) -> RetentionRule:
        """Return the rule for ``category``."""
        rule: RetentionRule = getattr(self, category.value)
        return rule

    def items(self) -> Iterator[tuple[DataCategory, RetentionRule]]:
        """Yield every category with its rule, in declaration order."""
        for category in DataCategory:
            yield category, self.rule(category)


class LegalHold(Section):
    """A statutory minimum that no purge or erasure may cut short."""

    category: Category
    minimum: Period
    basis: Text


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
