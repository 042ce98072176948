"""FastAPI dependencies shared by every router: the platform and the request's unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, ParamSpec, TypeVar

import anyio
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from klaremont.audit.events import Actor, ActorType
from klaremont.platform import Platform, UnitOfWork

ANONYMOUS = Actor(ActorType.ANONYMOUS, "anonymous")
P = ParamSpec("P")
T = TypeVar("T")


async def get_platform(request: Request) -> Platform:
    """The platform the app was built with (async: no I/O, so no thread-pool hop)."""
    platform: Platform = request.app.state.platform
    return platform


def client_origin(request: Request) -> str | None:
    """The client's address as the server sees it."""
    return request.client.host if request.client else None


def request_actor(request: Request) -> Actor:
    """Who is acting: set by the authentication dependency, anonymous otherwise."""
    actor: Actor | None = getattr(request.state, "actor", None)
    return actor or ANONYMOUS


async def get_uow(
    request: Request, platform: Annotated[Platform, Depends(get_platform)]
) -> AsyncIterator[UnitOfWork]:
    """One transaction per request: committed when the endpoint returns, rolled back on error.

    Opening a unit of work does no I/O, so it happens on the event loop; only an ending
    that talks to the database (a commit or rollback of an open transaction) goes to the
    thread pool, shielded from cancellation so a connection is never left mid-transaction.
    Routes usually commit themselves before answering, leaving nothing to do here: each
    request then makes two thread-pool hops (authentication, endpoint) instead of five.
    """
    uow = platform.open_unit_of_work(
        actor=request_actor(request),
        origin=client_origin(request),
        request_id=getattr(request.state, "request_id", None),
    )
    request.state.uow = uow
    try:
        yield uow
    except BaseException:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(uow.abort)
        raise
    if uow.pending:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(uow.complete)
    else:
        uow.session.close()


async def committed(
    uow: UnitOfWork, work: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run the service call ``work(*args, **kwargs)`` in the thread pool and commit there.

    For ``async def`` routes: the audit event of a read or a change is durable before the
    answer leaves, the audit chain's lock is released in the thread that took it, and the
    response model is then checked on the event loop (a plain ``def`` route would pay one
    more thread-pool hop for that check).
    """

    def run() -> T:
        result = work(*args, **kwargs)
        uow.session.commit()
        return result

    return await run_in_threadpool(run)


PlatformDep = Annotated[Platform, Depends(get_platform)]
# scope="function": the transaction commits before the response is sent, so a client never
# acts on an answer whose change is not yet saved (and a failed commit becomes a 500).
UowDep = Annotated[UnitOfWork, Depends(get_uow, scope="function")]
