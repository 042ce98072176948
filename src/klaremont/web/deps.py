"""FastAPI dependencies shared by every router: the platform and the request's unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from klaremont.audit.events import Actor, ActorType
from klaremont.platform import Platform, UnitOfWork

ANONYMOUS = Actor(ActorType.ANONYMOUS, "anonymous")


def get_platform(request: Request) -> Platform:
    """The platform the app was built with."""
    platform: Platform = request.app.state.platform
    return platform


def client_origin(request: Request) -> str | None:
    """The client's address as the server sees it."""
    return request.client.host if request.client else None


def request_actor(request: Request) -> Actor:
    """Who is acting: set by the authentication dependency, anonymous otherwise."""
    actor: Actor | None = getattr(request.state, "actor", None)
    return actor or ANONYMOUS


def get_uow(
    request: Request, platform: Annotated[Platform, Depends(get_platform)]
) -> Iterator[UnitOfWork]:
    """One transaction per request: committed when the endpoint returns, rolled back on error."""
    with platform.unit_of_work(
        actor=request_actor(request),
        origin=client_origin(request),
        request_id=getattr(request.state, "request_id", None),
    ) as uow:
        request.state.uow = uow
        yield uow


PlatformDep = Annotated[Platform, Depends(get_platform)]
# scope="function": the transaction commits before the response is sent, so a client never
# acts on an answer whose change is not yet saved (and a failed commit becomes a 500).
UowDep = Annotated[UnitOfWork, Depends(get_uow, scope="function")]
