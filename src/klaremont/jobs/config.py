"""Worker settings, read from the environment with the prefix ``KLAREMONT_JOB_``.

``KLAREMONT_JOB_INTERVALS`` overrides declared intervals with ISO-8601 durations parsed by
``isodate``: ``dsr-due-alert=PT2S,send-pending=PT30S``. Every entry must name a declared
job and give a positive duration of days, hours, minutes or seconds (a month or a year
has no fixed length, so it cannot align slots); anything else is refused, naming the
setting and the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import isodate
from pydantic_settings import BaseSettings, SettingsConfigDict

from klaremont import capabilities
from klaremont.config import setting
from klaremont.errors import ConfigurationError

if TYPE_CHECKING:
    from klaremont.capabilities import Capability, Job

INTERVALS_SETTING = "KLAREMONT_JOB_INTERVALS"
MIN_INTERVAL = timedelta(seconds=1)


class JobSettings(BaseSettings):
    """How the worker schedules and leases jobs."""

    model_config = SettingsConfigDict(env_prefix="KLAREMONT_JOB_", extra="forbid", frozen=True)

    intervals: str = setting(
        "",
        fmt="job=ISO-8601 duration, comma separated (days, hours, minutes or seconds)",
        example="dsr-due-alert=PT12H,send-pending=PT30S",
        description="overrides the intervals the capabilities declare (klaremont jobs list)",
    )
    lease_seconds: int = setting(
        300,
        ge=2,
        le=86_400,
        fmt="integer 2-86400 (seconds)",
        example="300",
        description="a running job not heard from for this long is taken over by another worker",
    )
    catch_up_seconds: int = setting(
        60,
        ge=1,
        le=3_600,
        fmt="integer 1-3600 (seconds)",
        example="60",
        description="how often a worker looks for slots nobody ran (missed or abandoned)",
    )


@dataclass(frozen=True, slots=True)
class ScheduledJob:
    """A declared job with the interval it runs on here."""

    name: str
    target: str
    every: timedelta
    summary: str
    capability: str
    declared_every: timedelta

    @property
    def overridden(self) -> bool:
        """True when the intervals setting changed the declared interval."""
        return self.every != self.declared_every


def parse_intervals(text: str, known: set[str]) -> dict[str, timedelta]:
    """``name=PT30S,other=P1D`` to intervals; refuses unknown names and bad durations."""
    found: dict[str, timedelta] = {}
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        name, sep, value = (part.strip() for part in entry.partition("="))
        if not sep or not name or not value:
            msg = f"{INTERVALS_SETTING}: {entry!r} is not job=duration (e.g. send-pending=PT30S)"
            raise ConfigurationError(msg)
        if name not in known:
            msg = f"{INTERVALS_SETTING}: no job called {name!r} (known: {', '.join(sorted(known))})"
            raise ConfigurationError(msg)
        try:
            duration = isodate.parse_duration(value)
        except (isodate.ISO8601Error, ValueError) as exc:
            msg = f"{INTERVALS_SETTING}: job {name!r}: {value!r} is not an ISO-8601 duration"
            raise ConfigurationError(msg) from exc
        if not isinstance(duration, timedelta):
            msg = (
                f"{INTERVALS_SETTING}: job {name!r}: {value!r} uses months or years; "
                "give days, hours, minutes or seconds"
            )
            raise ConfigurationError(msg)
        if duration < MIN_INTERVAL:
            msg = f"{INTERVALS_SETTING}: job {name!r}: {value!r} must be at least one second"
            raise ConfigurationError(msg)
        found[name] = duration
    return found


def _declared() -> list[tuple[Capability, Job]]:
    return list(capabilities.jobs())


def scheduled_jobs(settings: JobSettings | None = None) -> list[ScheduledJob]:
    """Every declared job, by name, with the interval it runs on (overrides applied)."""
    settings = settings or JobSettings()
    declared = _declared()
    overrides = parse_intervals(settings.intervals, {job.name for _, job in declared})
    return sorted(
        (
            ScheduledJob(
                name=job.name,
                target=job.target,
                every=overrides.get(job.name, job.every),
                summary=job.summary,
                capability=owner.name,
                declared_every=job.every,
            )
            for owner, job in declared
        ),
        key=lambda s: s.name,
    )


def find_job(name: str, settings: JobSettings | None = None) -> ScheduledJob | None:
    """The scheduled job called ``name``, or ``None``."""
    for job in scheduled_jobs(settings):
        if job.name == name:
            return job
    return None
