"""FastAPI dependencies shared by every router: the platform and the request's unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from klaremont.audit.events import Actor, ActorType
from klaremont.platform import Platform, UnitOfWork

ANONYMOUS = Actor(ActorType.ANONYMOUS, "anonymous")
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


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """One transaction per request: committed when the endpoint returns, rolled back on error.

    Opening a unit of work does no I/O, so it happens on the event loop; only an ending
    that talks to the database (a commit or rollback of an open transaction) goes to the
    thread pool, shielded from cancellation so a connection is never left mid-transaction.
    Routes usually commit themselves before answering (:func:`committed`), leaving nothing
    to do here. A route that left a deferred access check unrun fails closed: its work is
    rolled back and the client gets a 500, never the route's answer.
    """
    platform: Platform = request.app.state.platform
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
    if uow.checks:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(uow.abort)
        raise UncheckedAccess(request.url.path)
    if uow.pending:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(uow.complete)
    else:
        uow.session.close()


async def settle_deferred_checks(request: Request) -> None:
    """Run the access checks a request deferred but never reached, then end its unit of work.

    For a request refused before its route ran (invalid input): an authentication or
    permission refusal must still win over a validation error, exactly as when the check
    runs first, so nobody learns a route's input rules without being allowed to call it.
    A failing check raises its error (a denial is audited and committed by the check).
    """
    uow: UnitOfWork | None = getattr(request.state, "uow", None)
    if uow is None or not uow.checks:
        return

    def run() -> None:
        try:
            uow.run_checks()
        finally:
            uow.abort()

    with anyio.CancelScope(shield=True):
        await run_in_threadpool(run)


class UncheckedAccess(RuntimeError):
    """A route answered without running the access check it deferred (a programming error)."""

    def __init__(self, path: str) -> None:
        super().__init__(f"route {path} did not run its deferred access check")


async def committed(uow: UnitOfWork, work: Callable[[], T], /, *, read: bool = False) -> T:
    """Run the deferred access checks, then ``work()``, then commit: one thread-pool job.

    For ``async def`` routes whose permission dependency defers its check to the unit of
    work (:func:`klaremont.staff.web.guard.require_in_unit`): authentication, authorisation,
    the service call and the commit share one trip to the thread pool instead of two. The
    audit event of a read or a change is durable before the answer leaves, the audit
    chain's lock is released in the thread that took it, and the response model is then
    checked on the event loop. Build the service call inside ``work`` (a lambda), so
    nothing about the caller is read before the check has run. ``read=True`` runs it as a
    read (:meth:`UnitOfWork.begin_read_only`): no transaction round trips, no data changes.
    """

    def run() -> T:
        if read:
            uow.begin_read_only()
        uow.run_checks()
        result = work()
        uow.ensure_unchanged()
        uow.session.commit()
        return result

    return await run_in_threadpool(run)


PlatformDep = Annotated[Platform, Depends(get_platform)]
# scope="function": the transaction commits before the response is sent, so a client never
# acts on an answer whose change is not yet saved (and a failed commit becomes a 500).
UowDep = Annotated[UnitOfWork, Depends(get_uow, scope="function")]


def commit_now(uow: UnitOfWork) -> None:
    """Commit what the route did so far (a sign-in recorded whatever follows) and go on."""
    uow.commit_step()


def finish(uow: UnitOfWork) -> None:
    """Commit now, in a synchronous route: the answer must not go out before the change it
    reports is durable (``async def`` routes use :func:`committed`). What the route reads
    afterwards to build its answer needs no write lock (:meth:`UnitOfWork.finish`)."""
    uow.finish()
