"""Offboarding hooks: other capabilities revoke what they hold for a leaver (IS-AC-LEAVER).

A capability that gives staff something outside this package (the wireless network's
MAC allow-list, for instance) registers a hook; :func:`run_offboarding_hooks` calls every
hook inside the offboarding transaction, so the leaver loses everything at once or
nothing at all. Hooks live in ``klaremont/<capability>/staff_hooks.py`` and are found the
way models are, or are registered directly with :func:`register_offboarding_hook`::

    @register_offboarding_hook("wifi-macs")
    def forget_macs(uow: UnitOfWork, account: StaffAccount) -> str:
        ...
        return "2 device MAC addresses removed"
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

import klaremont

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork
    from klaremont.staff.models import StaffAccount

OffboardingHook = Callable[["UnitOfWork", "StaffAccount"], str | None]
_HOOKS: dict[str, OffboardingHook] = {}


def register_offboarding_hook(name: str) -> Callable[[OffboardingHook], OffboardingHook]:
    """Register the decorated function under ``name`` (registering a name again replaces it)."""

    def decorate(hook: OffboardingHook) -> OffboardingHook:
        _HOOKS[name] = hook
        return hook

    return decorate


def unregister_offboarding_hook(name: str) -> None:
    """Remove a hook (tests use this to clean up)."""
    _HOOKS.pop(name, None)


@cache
def load_hook_modules() -> tuple[str, ...]:
    """Import ``klaremont.<capability>.staff_hooks`` for every capability that has one."""
    loaded: list[str] = []
    for info in pkgutil.iter_modules(klaremont.__path__):
        if not info.ispkg:
            continue
        name = f"klaremont.{info.name}.staff_hooks"
        if importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name)
        loaded.append(name)
    return tuple(loaded)


def offboarding_hooks() -> dict[str, OffboardingHook]:
    """Every registered hook by name."""
    load_hook_modules()
    return dict(_HOOKS)


def run_offboarding_hooks(uow: UnitOfWork, account: StaffAccount) -> dict[str, str]:
    """Call every hook in name order, each in its own savepoint; returns each one's summary.

    A hook that raises is rolled back to its savepoint and reported as ``failed: <error
    type>`` (the offboarding audit event carries it, for the ISO to follow up), while
    the leaver's sessions, credentials, tokens, grants and MFA are revoked regardless.
    """
    summaries: dict[str, str] = {}
    for name, hook in sorted(offboarding_hooks().items()):
        savepoint = uow.session.begin_nested()
        try:
            summary = hook(uow, account) or "done"
        except Exception as exc:  # noqa: BLE001 - one broken hook must not keep a leaver's access
            savepoint.rollback()
            summaries[name] = f"failed: {type(exc).__name__}"
            continue
        savepoint.commit()
        summaries[name] = summary
    return summaries
