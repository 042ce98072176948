"""The CLI's platform: built once per command from the environment's settings."""

from __future__ import annotations

import getpass

from rich.console import Console
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from klaremont import logging as klog
from klaremont import settings_report
from klaremont.audit.events import Actor, ActorType
from klaremont.db.engine import make_engine
from klaremont.errors import ConfigurationError
from klaremont.logging import redact_text
from klaremont.platform import Platform

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)
_state: dict[str, Platform] = {}


def get_platform(*, upgrade: bool = True) -> Platform:
    """The platform for this command (migrations applied unless told otherwise)."""
    if "platform" not in _state:
        settings = settings_report.check_environment()
        klog.configure(json=settings.log_json)
        settings.check()  # unsafe production settings, before anything is touched
        ensure_reachable("KLAREMONT_DATABASE_URL", settings.database_url)
        ensure_reachable("KLAREMONT_KEYSTORE_URL", settings.keystore_url)
        platform = Platform.build(settings)
        if upgrade:
            platform.upgrade()
        _state["platform"] = platform
    return _state["platform"]


def ensure_reachable(variable: str, url: str) -> None:
    """Connect once; a database that does not answer is a :class:`ConfigurationError`
    naming the variable, the address (password hidden) and the driver's first line."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            conn.rollback()
    except SQLAlchemyError as error:
        where = make_url(str(engine.url)).render_as_string(hide_password=True)
        cause = str(getattr(error, "orig", None) or error).strip().splitlines()
        reason = redact_text(cause[0]) if cause else type(error).__name__
        msg = f"{variable}: cannot reach the database at {where} ({reason})"
        raise ConfigurationError(msg) from None
    finally:
        engine.dispose()


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
