"""The foundation's live checks: the ones that need only the policy file and the settings."""

from __future__ import annotations

from datetime import timedelta

from klaremont.policy.live import CheckResult, LiveContext, live_check
from klaremont.policy.model import DataCategory
from klaremont.policy.sntp import SntpError, query_offset

MAX_CLOCK_SKEW_SECONDS = 1.0
SNTP_TIMEOUT_SECONDS = 2.0
UK = "GB"


def _setting_problems(ctx: LiveContext, env_name: str) -> list[str]:
    """The production problems :meth:`Settings.production_problems` names for one setting."""
    prefix = f"{env_name}:"
    return [p for p in ctx.settings.production_problems() if p.startswith(prefix)]


@live_check(
    "DP-RETAIN",
    reads="the policy's retention schedule: each data category's period, against the legal holds "
    "for that category",
)
def retention_schedule_complete(ctx: LiveContext) -> CheckResult:
    """Every data category has a retention period, and none ends before its legal hold."""
    schedule = ctx.policy.retention
    problems: list[str] = []
    periods = {}
    for category in DataCategory:
        rule = getattr(schedule, category.value, None)
        if rule is None:
            problems.append(f"{category.value}: no retention rule")
            continue
        periods[category.value] = rule.period
        problems.extend(
            f"{category.value}: {rule.period} ends before legal hold {hold.minimum}"
            for hold in ctx.policy.holds_for(category)
            if not rule.period.at_least(hold.minimum)
        )
    if problems:
        return CheckResult(holds=False, detail="; ".join(problems))
    holds = len(ctx.policy.legal_holds)
    return CheckResult(
        holds=True,
        detail=f"{len(periods)} data categories each have a retention period; "
        f"{holds} legal hold{'' if holds == 1 else 's'} honoured",
    )


@live_check(
    "PP-UK",
    reads="the policy's data residency country and the storage region setting, against the UK",
)
def storage_in_uk(ctx: LiveContext) -> CheckResult:
    """The storage region is in the UK, and the policy declares UK residency."""
    residency = ctx.policy.data_residency.country
    if residency != UK:
        return CheckResult(
            holds=False, detail=f"policy data_residency.country is {residency!r}, not {UK!r}"
        )
    problems = _setting_problems(ctx, "KLAREMONT_STORAGE_REGION")
    if problems:
        return CheckResult(holds=False, detail=problems[0])
    return CheckResult(
        holds=True, detail=f"storage region {ctx.settings.storage_region!r} is in the UK"
    )


@live_check(
    "IS-SENS-TLS",
    reads="the settings: the public address and the environment (https required in production)",
)
def public_url_is_https(ctx: LiveContext) -> CheckResult:
    """Production serves its public URL over https; elsewhere http is allowed and said so."""
    url = ctx.settings.public_url
    problems = _setting_problems(ctx, "KLAREMONT_PUBLIC_URL")
    if not problems:
        return CheckResult(holds=True, detail=f"public URL {url} is https")
    if ctx.settings.is_production:
        return CheckResult(holds=False, detail=problems[0])
    return CheckResult(
        holds=True,
        detail=f"{ctx.settings.environment.value}: http allowed outside production ({url})",
    )


@live_check(
    "IS-AC-CLOCK",
    reads="the platform clock's time zone, and, when a time source is set, its offset from that "
    "time source against one second",
)
def clock_is_utc_and_synchronised(ctx: LiveContext) -> CheckResult:
    """Timestamps are UTC; with KLAREMONT_TIME_SOURCE set, the clock is within 1 s of it."""
    now = ctx.clock.now()
    if now.utcoffset() != timedelta(0) or now.tzname() != "UTC":
        return CheckResult(
            holds=False, detail=f"the clock returns non-UTC time ({now.isoformat()})"
        )
    source = ctx.settings.time_source
    if not source:
        if ctx.settings.is_production:
            return CheckResult(
                holds=False,
                detail="timestamps are UTC, but no KLAREMONT_TIME_SOURCE is set: "
                "synchronisation is not verified",
            )
        return CheckResult(
            holds=True, detail="timestamps are UTC; skew not measured (no KLAREMONT_TIME_SOURCE)"
        )
    try:
        offset = query_offset(
            source, now=lambda: ctx.clock.now().timestamp(), timeout=SNTP_TIMEOUT_SECONDS
        )
    except SntpError as exc:
        return CheckResult(holds=False, detail=f"time source {source} did not answer: {exc}")
    if abs(offset) > MAX_CLOCK_SKEW_SECONDS:
        return CheckResult(
            holds=False,
            detail=f"clock is {offset:+.3f} s off {source} (limit {MAX_CLOCK_SKEW_SECONDS:g} s)",
        )
    return CheckResult(
        holds=True, detail=f"timestamps are UTC; clock within {offset:+.3f} s of {source}"
    )
