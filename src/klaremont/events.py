"""Domain events: a capability announces what happened; the capabilities that care subscribe.

A publisher defines its events (frozen dataclasses deriving from :class:`DomainEvent`) in
its own folder and calls :func:`publish` inside the unit of work that made the change. The
subscribers are the ones declared in capability declarations
(:class:`klaremont.capabilities.Subscription`), so the publisher imports none of them:
``customers`` announces :class:`~klaremont.customers.events.CustomerRectified` and
``accuracy`` records the review, without ``customers`` knowing ``accuracy`` exists.

Handlers run in the publisher's transaction, in capability-name order, each in a savepoint
of its own: the change and everything that follows from it commit together. A handler that
raises is rolled back to its savepoint; :func:`publish` then raises :class:`HandlerFailed`
unless the event says ``tolerate_failures`` (offboarding a leaver must go on even when one
capability's clean-up fails; its summary says ``failed: <error type>``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from klaremont import capabilities
from klaremont.errors import KlaremontError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class EventUnit(Protocol):
    """What publishing needs of the unit of work (the platform's ``UnitOfWork``): its
    session, for a savepoint per handler. A protocol, so that foundation pieces below the
    platform (the audit log) may announce too without importing it."""

    session: Session


Handler = Callable[[Any, Any], "str | None"]


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Base of every announced event."""

    #: When true, a failing handler is reported in the summaries instead of raised.
    tolerate_failures: ClassVar[bool] = False


class HandlerFailed(KlaremontError):
    """A subscriber could not handle an event; the publisher's change is not committed."""

    status = 500
    code = "event-handler-failed"
    title = "A follow-up step failed"


_DIRECT: dict[type[DomainEvent], dict[str, Handler]] = {}


def subscribe(event: type[DomainEvent], name: str, handler: Handler) -> None:
    """Subscribe ``handler`` directly (tests; plug-ins use their capability declaration)."""
    _DIRECT.setdefault(event, {})[name] = handler


def unsubscribe(event: type[DomainEvent], name: str) -> None:
    """Remove a handler added with :func:`subscribe`."""
    _DIRECT.get(event, {}).pop(name, None)


def handlers_for(event: type[DomainEvent]) -> dict[str, Handler]:
    """Every handler of ``event`` (or of a base class of it), by subscriber name."""
    found: dict[str, Handler] = {}
    for declared, sub in capabilities.subscriptions():
        if issubclass(event, sub.event):
            found[sub.name or f"{declared.name}:{sub.handler.rsplit(':', 1)[-1]}"] = (
                capabilities.resolve(sub.handler)
            )
    for kind, direct in _DIRECT.items():
        if issubclass(event, kind):
            found.update(direct)
    return found


def publish(uow: EventUnit, event: DomainEvent) -> dict[str, str]:
    """Hand ``event`` to every subscriber inside ``uow``; returns each one's summary."""
    summaries: dict[str, str] = {}
    for name, handler in sorted(handlers_for(type(event)).items()):
        savepoint = uow.session.begin_nested()
        try:
            summary = handler(uow, event) or "done"
        except Exception as exc:
            savepoint.rollback()
            if not event.tolerate_failures:
                if isinstance(exc, KlaremontError):
                    raise
                raise HandlerFailed(
                    f"{name} could not handle {type(event).__name__}: {type(exc).__name__}"
                ) from exc
            summaries[name] = f"failed: {type(exc).__name__}"
            continue
        savepoint.commit()
        summaries[name] = summary
    return summaries
