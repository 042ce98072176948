"""One front door per capability: what each capability contributes, read by one loader.

Every capability folder ``klaremont/<name>/`` has a ``capability.py`` that declares one
:class:`Capability` named ``CAPABILITY``. The declaration lists everything the capability
adds to the platform, so nothing central names it:

- ``models``: modules whose tables join the data store (and the migrations' drift check);
- ``migrations``: the folder of the capability's own Alembic revisions, if it has one;
- ``routers``: ``"module:attribute"`` of each FastAPI router (API and pages);
- ``cli``: ``"module:attribute"`` of its Typer group;
- ``audit_actions``: the :class:`~enum.StrEnum` of the audit tags it records;
- ``permissions`` and ``grants``: its permissions and which roles hold them; ``data`` marks
  the permissions that read personal or cardholder data (vetting, IS-SENS-VET) and
  ``sensitive`` those that need a fresh password entry;
- ``checks``: modules of live checks (``@live_check``);
- ``demo``: the module that seeds its demo data;
- ``nav``: entries of the staff console's navigation;
- ``subscriptions``: the domain events it reacts to (``klaremont.events``);
- ``jobs``: scheduled work;
- ``extensions``: ``(point, "module:attribute")`` pairs plugged into another capability's
  extension point (a marketing veto the purpose check consults, a section of the single
  customer view), so the capability that offers the point imports none of its providers;
- ``templates``: the capability's own Jinja2 template folder, if any.

Web and CLI parts are named by string and imported only by the app factory and the
``klaremont`` command, so declaring them imports neither FastAPI nor Typer.

This module is the foundation's: it imports no capability. :func:`capabilities` finds the
declarations by folder, so a new capability is a new folder (see DESIGN-NOTES, "How to
add a capability").
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import klaremont

DECLARATION_MODULE = "capability"
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class NavEntry:
    """One link in the staff console's navigation, shown to holders of ``permission``."""

    label: str
    path: str
    permission: StrEnum | None = None
    order: int = 100


@dataclass(frozen=True, slots=True)
class Job:
    """Scheduled work: ``target`` (``"module:function"``, called with the platform), ``every``."""

    name: str
    target: str
    every: timedelta
    summary: str


@dataclass(frozen=True, slots=True)
class Subscription:
    """React to ``event`` (a :class:`klaremont.events.DomainEvent` subclass) with ``handler``.

    ``handler`` is ``"module:function"``, called as ``handler(uow, event)`` inside the
    publisher's unit of work; it returns a one-line summary or ``None``.
    """

    event: type[Any]
    handler: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Capability:
    """What one capability contributes to the platform."""

    name: str
    summary: str
    models: tuple[str, ...] = ()
    migrations: str | None = None
    routers: tuple[str, ...] = ()
    cli: str | None = None
    audit_actions: type[StrEnum] | None = None
    permissions: type[StrEnum] | None = None
    grants: Mapping[str, frozenset[StrEnum]] = field(default_factory=dict)
    data: frozenset[StrEnum] = frozenset()
    sensitive: frozenset[StrEnum] = frozenset()
    checks: tuple[str, ...] = ()
    demo: str | None = None
    nav: tuple[NavEntry, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    jobs: tuple[Job, ...] = ()
    extensions: tuple[tuple[str, str], ...] = ()
    templates: str | None = None
    package: str = ""

    @property
    def folder(self) -> Path:
        """The capability's folder."""
        spec = importlib.util.find_spec(self.package)
        if spec is None or spec.origin is None:  # pragma: no cover - declared packages exist
            msg = f"capability {self.name!r}: package {self.package!r} not found"
            raise LookupError(msg)
        return Path(spec.origin).parent


class DeclarationError(Exception):
    """A capability's declaration is malformed (named, with the rule it breaks)."""


def resolve(reference: str) -> Any:
    """Import ``"package.module:attribute"`` and return the attribute."""
    module_name, _, attribute = reference.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split(".") if attribute else ():
        target = getattr(target, part)
    return target


def _declared(module: ModuleType) -> Capability:
    declared = getattr(module, "CAPABILITY", None)
    if not isinstance(declared, Capability):
        msg = f"{module.__name__}: CAPABILITY must be a klaremont.capabilities.Capability"
        raise DeclarationError(msg)
    package = module.__name__.rsplit(".", 1)[0]
    if declared.package and declared.package != package:
        msg = f"{module.__name__}: package {declared.package!r} is not its folder {package!r}"
        raise DeclarationError(msg)
    return replace(declared, package=package)


_EXTRA: dict[str, Capability] = {}
_DERIVED: list[Callable[[], None]] = []


def derived(fn: Callable[[], _T]) -> Callable[[], _T]:
    """Cache a value computed from the declarations; recomputed after :func:`register`."""
    cached = cache(fn)
    _DERIVED.append(cached.cache_clear)
    return cached


def _changed() -> None:
    capabilities.cache_clear()
    for clear in _DERIVED:
        clear()


def register(capability: Capability) -> None:
    """Add a capability that lives outside ``klaremont/`` (a plug-in, or a test's throwaway).

    Its ``package`` must be set and importable. Registering again under the same name
    replaces it; :func:`capabilities` is recomputed.
    """
    if not capability.package:
        msg = f"capability {capability.name!r}: package must be set when registered directly"
        raise DeclarationError(msg)
    _EXTRA[capability.name] = capability
    _changed()


def unregister(name: str) -> None:
    """Remove a capability added with :func:`register`."""
    _EXTRA.pop(name, None)
    _changed()


@cache
def capabilities() -> tuple[Capability, ...]:
    """Every capability, by name: the declarations in ``klaremont/*/capability.py`` and
    those added with :func:`register`. Two declarations of one name are refused."""
    found: dict[str, Capability] = {}
    for info in sorted(pkgutil.iter_modules(klaremont.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        name = f"klaremont.{info.name}.{DECLARATION_MODULE}"
        if importlib.util.find_spec(name) is None:
            continue
        declared = _declared(importlib.import_module(name))
        if declared.name in found:
            msg = f"{name}: capability {declared.name!r} is declared twice"
            raise DeclarationError(msg)
        found[declared.name] = declared
    for name, extra in _EXTRA.items():
        if name in found:
            msg = f"capability {name!r} is declared twice"
            raise DeclarationError(msg)
        found[name] = extra
    return tuple(found[name] for name in sorted(found))


def capability(name: str) -> Capability:
    """The capability called ``name``."""
    for declared in capabilities():
        if declared.name == name:
            return declared
    msg = f"no capability called {name!r}"
    raise LookupError(msg)


def import_all(kind: str) -> tuple[str, ...]:
    """Import every module the capabilities list under ``kind`` (``models`` or ``checks``)."""
    loaded: list[str] = []
    for declared in capabilities():
        modules: tuple[str, ...] = getattr(declared, kind)
        for module in modules:
            importlib.import_module(module)
            loaded.append(module)
    return tuple(loaded)


@derived
def action_catalogue() -> dict[str, StrEnum]:
    """Every audit action tag any capability declares, by its stored value."""
    catalogue: dict[str, StrEnum] = {}
    for declared in capabilities():
        if declared.audit_actions is None:
            continue
        for member in declared.audit_actions:
            other = catalogue.get(member.value)
            if other is not None and other is not member:
                msg = f"audit action {member.value!r} is declared by two capabilities"
                raise DeclarationError(msg)
            catalogue[member.value] = member
    return catalogue


@derived
def permission_catalogue() -> dict[str, StrEnum]:
    """Every permission any capability declares, by its value (``resource:action``)."""
    catalogue: dict[str, StrEnum] = {}
    for declared in capabilities():
        if declared.permissions is None:
            continue
        for member in declared.permissions:
            if member.value in catalogue:
                msg = f"permission {member.value!r} is declared by two capabilities"
                raise DeclarationError(msg)
            catalogue[member.value] = member
    return catalogue


def role_grants() -> dict[str, frozenset[StrEnum]]:
    """Role name to every permission the capabilities grant it (the union of their grants)."""
    known = permission_catalogue()
    table: dict[str, set[StrEnum]] = {}
    for declared in capabilities():
        for role, granted in declared.grants.items():
            for permission in granted:
                if permission.value not in known:
                    msg = (
                        f"capability {declared.name!r} grants {permission.value!r}, "
                        "which no capability declares"
                    )
                    raise DeclarationError(msg)
            table.setdefault(str(role), set()).update(granted)
    return {role: frozenset(granted) for role, granted in table.items()}


def flagged(kind: str) -> frozenset[StrEnum]:
    """The union of the capabilities' ``data`` or ``sensitive`` permission sets."""
    union: set[StrEnum] = set()
    for declared in capabilities():
        union |= getattr(declared, kind)
    return frozenset(union)


@derived
def navigation() -> tuple[NavEntry, ...]:
    """Every console navigation entry, in order."""
    entries = [entry for declared in capabilities() for entry in declared.nav]
    return tuple(sorted(entries, key=lambda e: (e.order, e.label)))


def subscriptions() -> tuple[tuple[Capability, Subscription], ...]:
    """Every (capability, subscription) pair."""
    return tuple((declared, sub) for declared in capabilities() for sub in declared.subscriptions)


def jobs() -> tuple[tuple[Capability, Job], ...]:
    """Every scheduled job the capabilities declare."""
    return tuple((declared, job) for declared in capabilities() for job in declared.jobs)


def migration_dirs() -> tuple[Path, ...]:
    """The folders of the capabilities' own Alembic revisions."""
    return tuple(
        declared.folder / declared.migrations for declared in capabilities() if declared.migrations
    )


def extensions(point: str) -> tuple[Any, ...]:
    """Everything plugged into extension ``point``, resolved, in capability-name order."""
    return _extensions().get(point, ())


@derived
def _extensions() -> dict[str, tuple[Any, ...]]:
    found: dict[str, list[Any]] = {}
    for declared in capabilities():
        for point, reference in declared.extensions:
            found.setdefault(point, []).append(resolve(reference))
    return {point: tuple(items) for point, items in found.items()}
