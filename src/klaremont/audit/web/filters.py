"""The audit console's filters: read from the query string as text and checked here.

Every value arrives as a string and is validated by this module, so a bad filter gives the
page back with the field and the rule named (never the app-wide validation handler, never
a 500). Dates are typed the UK way (31/12/2026; the ISO form is accepted too) and mean
whole days in UK time; they are turned into UTC instants for the query, as events are
stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from klaremont import capabilities
from klaremont.audit.events import ActionTag, Actor, ActorType, Outcome
from klaremont.audit.query import EventFilter
from klaremont.clock import UK_TIME

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_SIZE = 50
LIMITS = {"actor": 128, "action": 64, "resource": 200, "outcome": 16, "from": 10, "to": 10}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
FIELD_WORDS = {
    "actor": "Who",
    "action": "Action",
    "resource": "Resource",
    "outcome": "Outcome",
    "from": "From",
    "to": "To",
    "size": "Per page",
    "before": "Page",
}


@dataclass
class Filters:
    """The filters as typed (to fill the form again) and as checked (to query)."""

    typed: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    wanted: EventFilter = field(default_factory=EventFilter)
    size: int = DEFAULT_SIZE
    before: int | None = None

    @property
    def ok(self) -> bool:
        """True when every filter passed its rule."""
        return not self.problems

    def query(self, **changes: str | int | None) -> dict[str, str]:
        """The typed filters (changed by ``changes``) for a link: empty values left out."""
        values: dict[str, str | int | None] = {**self.typed, "size": self.size, **changes}
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def parse_day(text: str) -> date | None:
    """``31/12/2026`` or ``2026-12-31``; ``None`` when it is not a real date."""
    for pattern, order in ((_UK_DATE, (2, 1, 0)), (_ISO_DATE, (0, 1, 2))):
        found = pattern.fullmatch(text)
        if found:
            parts = [int(found.group(i + 1)) for i in range(3)]
            try:
                return date(parts[order[0]], parts[order[1]], parts[order[2]])
            except ValueError:
                return None
    return None


def uk_day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in UK time (an aware datetime)."""
    return datetime.combine(day, time(0), tzinfo=UK_TIME)


def read_filters(params: Mapping[str, str], staff_actor: Callable[[str], Actor | None]) -> Filters:
    """Check every filter; ``staff_actor(name)`` finds a staff member by username."""
    found = Filters()
    for name in (*LIMITS, "size", "before"):
        value = params.get(name, "").strip()
        if not value:
            continue
        found.typed[name] = value
        if len(value) > LIMITS.get(name, 12):
            found.problems[name] = f"must be at most {LIMITS.get(name, 12)} characters"
        elif _CONTROL.search(value):
            found.problems[name] = "must not contain control characters"
    typed = {k: v for k, v in found.typed.items() if k not in found.problems}
    action = _action(typed.get("action"), found.problems)
    outcome = _outcome(typed.get("outcome"), found.problems)
    since = _day(typed, "from", found.problems)
    until = _day(typed, "to", found.problems)
    if since and until and until < since:
        found.problems["to"] = "must be on or after the From date"
    found.size = _size(typed.get("size"), found.problems)
    found.before = _before(typed.get("before"), found.problems)
    actor, actor_id = _actor(typed.get("actor"), staff_actor)
    if found.ok:
        found.wanted = EventFilter(
            action=action,
            actor=actor,
            actor_id=actor_id,
            outcome=outcome,
            resource=typed.get("resource"),
            since=uk_day_start(since) if since else None,
            until=uk_day_start(until + timedelta(days=1)) if until and until < date.max else None,
        )
    return found


def _action(value: str | None, problems: dict[str, str]) -> ActionTag | None:
    if value is None:
        return None
    tag = capabilities.action_catalogue().get(value)
    if tag is None:
        problems["action"] = "must be one of the listed actions"
        return None
    return tag


def _outcome(value: str | None, problems: dict[str, str]) -> Outcome | None:
    if value is None:
        return None
    if value not in {o.value for o in Outcome}:
        problems["outcome"] = "must be success, failure or denied"
        return None
    return Outcome(value)


def _day(typed: Mapping[str, str], name: str, problems: dict[str, str]) -> date | None:
    value = typed.get(name)
    if value is None:
        return None
    day = parse_day(value)
    if day is None:
        problems[name] = "must be a date written like 31/12/2026"
    return day


def _size(value: str | None, problems: dict[str, str]) -> int:
    if value is None:
        return DEFAULT_SIZE
    if not value.isdigit() or int(value) not in PAGE_SIZES:
        problems["size"] = f"must be one of {', '.join(map(str, PAGE_SIZES))}"
        return DEFAULT_SIZE
    return int(value)


def _before(value: str | None, problems: dict[str, str]) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or int(value) < 1:
        problems["before"] = "must be a whole number above 0"
        return None
    return int(value)


def _actor(
    value: str | None, staff_actor: Callable[[str], Actor | None]
) -> tuple[Actor | None, str | None]:
    """``staff:<id>`` (any actor type) names one party; a staff username names that
    member of staff; anything else matches that actor id of any type."""
    if value is None:
        return None, None
    kind, sep, ident = value.partition(":")
    if sep and kind in {t.value for t in ActorType}:
        return Actor(ActorType(kind), ident), None
    staff = staff_actor(value)
    if staff is not None:
        return staff, None
    return None, value
