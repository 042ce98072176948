"""The CLI's platform: built once per command from the environment's settings."""

from __future__ import annotations

import getpass

from rich.console import Console

from klaremont import logging as klog
from klaremont.audit.events import Actor, ActorType
from klaremont.config import Settings
from klaremont.platform import Platform

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)
_state: dict[str, Platform] = {}


def get_platform(*, upgrade: bool = True) -> Platform:
    """The platform for this command (migrations applied unless told otherwise)."""
    if "platform" not in _state:
        settings = Settings()
        klog.configure(json=settings.log_json)
        platform = Platform.build(settings)
        if upgrade:
            platform.upgrade()
        _state["platform"] = platform
    return _state["platform"]


def use_platform(platform: Platform | None) -> None:
    """Make commands use ``platform`` (tests build their own); ``None`` forgets it."""
    if platform is None:
        _state.pop("platform", None)
    else:
        _state["platform"] = platform


def cli_actor() -> Actor:
    """The operator at the shell, recorded in the audit log by operating-system user name."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(ActorType.SYSTEM, f"cli:{user}")
