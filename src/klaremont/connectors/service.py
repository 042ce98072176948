"""The connectors' rules: which stores there are, and the rights fanned out to them.

Access and portability (extension point ``external_access``): for every declared store,
the transfer guard is asked about its country (DP-TRANSFER), the person's identity rows are
found from what the customers capability knows (``customer_contacts``: the e-mail address
and account reference; and the data-subject id), and their rows are read, table by table.
A store that cannot be reached fails the request (an incomplete copy is not an answer).

Erasure (``external_erasure``), before Klaremont's own rows go (while the address is still
on file): first every store's identity rows are found (a store out of reach refuses the
whole erasure, nothing done anywhere); then each store is erased in ONE transaction of its
own, children first, and one ``connector_runs`` row records what was deleted or masked, or
that the store failed (its error class). A failed store rolls back alone; the others'
work stands, and :func:`retry` completes it later from the keys the run recorded.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from klaremont import capabilities, transfers
from klaremont.audit.events import Outcome
from klaremont.connectors import datasets, graph, traverse
from klaremont.connectors.actions import ConnectorAction
from klaremont.connectors.datasets import Match
from klaremont.connectors.models import ERROR_MAX, ConnectorRun, RunState
from klaremont.connectors.settings import DatasetSettings
from klaremont.db.engine import make_engine
from klaremont.errors import ConfigurationError, Conflict, NotFound

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from klaremont.connectors.datasets import Dataset
    from klaremont.connectors.graph import StoreGraph
    from klaremont.platform import Platform, UnitOfWork

CONTACTS_POINT = "customer_contacts"
STORES_EXTRA = "connectors.stores"
POOL_SIZE = 2


class StoreUnavailable(Conflict):
    """A store could not be reached or read: nothing was done in any store."""

    code = "store-unavailable"
    title = "An external store could not be reached"


class ErasureRequest(Protocol):
    """What the connectors read of a rights request."""

    @property
    def id(self) -> uuid.UUID:
        """The request's id."""
        ...

    @property
    def reference(self) -> str:
        """The request's reference."""
        ...


@dataclass
class Stores:
    """Engines and reflected graphs, one per store, kept for the platform's lifetime."""

    engines: dict[str, Engine]
    graphs: dict[str, StoreGraph]

    def engine(self, dataset: Dataset) -> Engine:
        """The store's engine (pooled)."""
        url = dataset.url()
        engine = self.engines.get(url)
        if engine is None:
            engine = make_engine(url, pool_size=POOL_SIZE)
            self.engines[url] = engine
        return engine

    def graph(self, dataset: Dataset, *, fresh: bool = False) -> StoreGraph:
        """The store's person graph (reflected once; ``fresh`` reflects again)."""
        key = f"{dataset.source}|{dataset.url()}"
        found = None if fresh else self.graphs.get(key)
        if found is None:
            with self.engine(dataset).connect() as conn:
                found = graph.build(dataset, conn)
            self.graphs[key] = found
        return found

    def dispose(self) -> None:
        """Close every pooled connection."""
        for engine in self.engines.values():
            engine.dispose()
        self.engines.clear()
        self.graphs.clear()


def stores(platform: Platform) -> Stores:
    """The platform's store registry."""
    found = platform.extras.get(STORES_EXTRA)
    if found is None:
        found = Stores({}, {})
        platform.extras[STORES_EXTRA] = found
    return found


def declared(uow: UnitOfWork) -> list[Dataset]:
    """Every store declared for this installation."""
    return datasets.load(DatasetSettings().path(uow.platform.settings))


def dataset(uow: UnitOfWork, name: str) -> Dataset:
    """One declared store, or a not-found naming it."""
    for found in declared(uow):
        if found.name == name:
            return found
    raise NotFound(f"store {name!r} is not declared")


def recipient(found: Dataset) -> str | None:
    """Who the guard asks about: the declared recipient, else the URL's host."""
    if found.recipient:
        return found.recipient
    try:
        return make_url(found.url()).host
    except Exception:  # noqa: BLE001 - a malformed URL is reported by check, not here
        return None


def known(uow: UnitOfWork, subject_id: uuid.UUID) -> dict[Match, list[str]]:
    """What identifies the person in other stores: address, account reference, subject id."""
    values: dict[Match, list[str]] = {Match.SUBJECT: [str(subject_id)]}
    for provider in capabilities.extensions(CONTACTS_POINT):
        for contact in provider(uow, [subject_id]):
            values.setdefault(Match.EMAIL, []).append(str(contact.email))
            values.setdefault(Match.REFERENCE, []).append(str(contact.reference))
    return values


def _guard(uow: UnitOfWork, found: Dataset) -> str:
    verdict = transfers.guard(
        uow,
        country=found.country,
        recipient=recipient(found),
        path="connector",
        field="country",
        resource=f"connector:{found.name}",
    )
    return verdict.basis


def _unavailable(found: Dataset, exc: Exception) -> StoreUnavailable:
    return StoreUnavailable(
        f"store {found.name!r} could not be read ({type(exc).__name__}): nothing was done "
        "in any store; try again once it is back"
    )


def external_access(uow: UnitOfWork, subject_id: uuid.UUID) -> list[dict[str, Any]]:
    """The person's rows in every declared store (the ``external_access`` point)."""
    sections: list[dict[str, Any]] = []
    values = known(uow, subject_id)
    registry = stores(uow.platform)
    for found in declared(uow):
        basis = _guard(uow, found)
        try:
            store_graph = registry.graph(found)
            with registry.engine(found).connect() as conn:
                keys = traverse.resolve(store_graph, conn, values)
                tables = traverse.read(store_graph, conn, keys)
        except SQLAlchemyError as exc:
            raise _unavailable(found, exc) from None
        categories = sorted({c for t in tables.values() for c in t["categories"]})
        counts = {name: len(t["rows"]) for name, t in tables.items()}
        uow.audit(
            ConnectorAction.READ,
            resource=f"connector:{found.name}",
            details={"subject": str(subject_id), "rows": counts},
        )
        sections.append(
            {
                "store": found.name,
                "description": found.description,
                "country": found.country,
                "transfer_basis": basis,
                "categories": categories,
                "tables": tables,
            }
        )
    return sections


def _erase_store(
    uow: UnitOfWork, found: Dataset, keys: dict[str, list[Any]]
) -> tuple[RunState, dict[str, Any], str | None]:
    """One store, one transaction: what was done, or the failure's class (rolled back)."""
    registry = stores(uow.platform)
    try:
        store_graph = registry.graph(found)
        with registry.engine(found).begin() as conn:
            done = traverse.erase(store_graph, conn, keys)
    except SQLAlchemyError as exc:
        return RunState.FAILED, {}, type(exc).__name__[:ERROR_MAX]
    return RunState.DONE, done, None


def _record(
    uow: UnitOfWork,
    run: ConnectorRun,
    state: RunState,
    counts: dict[str, Any],
    error: str | None,
) -> dict[str, Any]:
    run.state = state
    run.counts = json.dumps(counts, sort_keys=True)
    run.error_class = error
    run.finished_at = uow.clock.now()
    uow.session.flush()
    details: dict[str, Any] = {"request": run.reference, "attempt": run.attempts}
    if state is RunState.DONE:
        details["done"] = counts
        uow.audit(ConnectorAction.ERASED, resource=f"connector:{run.store}", details=details)
    else:
        details["error"] = error
        uow.audit(
            ConnectorAction.FAILED,
            Outcome.FAILURE,
            resource=f"connector:{run.store}",
            details=details,
        )
    return summary(run)


def summary(run: ConnectorRun) -> dict[str, Any]:
    """A run as the request, the API and the command line show it."""
    return {
        "store": run.store,
        "request": run.reference,
        "state": run.state.value,
        "counts": json.loads(run.counts or "{}"),
        "error_class": run.error_class,
        "attempts": run.attempts,
        "finished_at": run.finished_at.isoformat(),
    }


def external_erasure(
    uow: UnitOfWork, subject_id: uuid.UUID, request: ErasureRequest
) -> list[dict[str, Any]]:
    """Erase the person in every declared store (the ``external_erasure`` point)."""
    values = known(uow, subject_id)
    registry = stores(uow.platform)
    planned: list[tuple[Dataset, dict[str, list[Any]]]] = []
    for found in declared(uow):
        _guard(uow, found)
        try:
            store_graph = registry.graph(found)
            with registry.engine(found).connect() as conn:
                planned.append((found, traverse.resolve(store_graph, conn, values)))
        except SQLAlchemyError as exc:
            raise _unavailable(found, exc) from None
    results: list[dict[str, Any]] = []
    for found, keys in planned:
        now = uow.clock.now()
        run = ConnectorRun(
            request_ref=request.id,
            reference=request.reference,
            subject_ref=subject_id,
            store=found.name,
            state=RunState.FAILED,
            counts="{}",
            roots=json.dumps({k: [traverse.plain(v) for v in vs] for k, vs in keys.items()}),
            error_class=None,
            attempts=1,
            started_at=now,
            finished_at=now,
        )
        uow.session.add(run)
        state, counts, error = _erase_store(uow, found, keys)
        results.append(_record(uow, run, state, counts, error))
    return results


def runs(uow: UnitOfWork, reference: str | None = None) -> list[ConnectorRun]:
    """Recorded runs, newest first (of one request when ``reference`` is given)."""
    query = select(ConnectorRun).order_by(ConnectorRun.started_at.desc(), ConnectorRun.store)
    if reference is not None:
        query = query.where(ConnectorRun.reference == reference.strip().upper())
    return list(uow.session.scalars(query))


def retry(uow: UnitOfWork, reference: str) -> list[dict[str, Any]]:
    """Erase again, in its own transaction, every store that failed for the request."""
    found_runs = runs(uow, reference)
    if not found_runs:
        raise NotFound(f"no connector runs for request {reference!r}")
    results: list[dict[str, Any]] = []
    for run in found_runs:
        if run.state is not RunState.FAILED:
            continue
        found = dataset(uow, run.store)
        _guard(uow, found)
        keys = {str(k): list(v) for k, v in json.loads(run.roots or "{}").items()}
        run.attempts += 1
        uow.audit(
            ConnectorAction.RETRIED,
            resource=f"connector:{run.store}",
            details={"request": run.reference, "attempt": run.attempts},
        )
        state, counts, error = _erase_store(uow, found, keys)
        results.append(_record(uow, run, state, counts, error))
    return results


def check(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Each declared store: reachable, its tables and erasure order, the transfer verdict."""
    report: list[dict[str, Any]] = []
    registry = stores(uow.platform)
    for found in declared(uow):
        entry: dict[str, Any] = {"store": found.name, "country": found.country, "problems": []}
        verdict = transfers.assess(
            uow.policy.transfers,
            found.country,
            uow.clock.now().date(),
            transfers.recorded_safeguards(uow, found.country, recipient(found)),
        )
        entry["transfer"] = verdict.basis if verdict.allowed else f"refused: {verdict.missing}"
        if not verdict.allowed:
            entry["problems"].append(entry["transfer"])
        try:
            store_graph = registry.graph(found, fresh=True)
        except ConfigurationError as exc:
            entry["problems"].append(str(exc)[:300])
        except SQLAlchemyError as exc:  # the class only: a message may quote the URL
            entry["problems"].append(f"the store could not be read ({type(exc).__name__})")
        else:
            entry["erase_order"] = list(store_graph.order)
            entry["undeclared"] = sorted(
                n for n, node in store_graph.nodes.items() if not node.spec.declared
            )
        entry["ok"] = not entry["problems"]
        report.append(entry)
    return report


LOOKUP_POINT = "customer_lookup"


def subjects_named(uow: UnitOfWork, text: str) -> list[uuid.UUID]:
    """The people an account reference or e-mail address names (the customers capability
    answers), or a not-found."""
    found: list[uuid.UUID] = []
    for provider in capabilities.extensions(LOOKUP_POINT):
        found.extend(ref.subject_id for ref in provider(uow, text))
    if not found:
        raise NotFound("no customer has that account reference or e-mail address")
    return sorted(set(found), key=str)
