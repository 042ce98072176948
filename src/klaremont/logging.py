"""Structured JSON logs (structlog) that never carry personal data values or secrets.

Every event passes through :func:`redact`, which drops values of sensitive keys and masks
anything shaped like a card number, so a careless ``log.info(..., body=...)`` cannot leak.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from structlog.typing import FilteringBoundLogger

SENSITIVE_KEYS = frozenset(
    {
        "password",
        "new_password",
        "current_password",
        "secret",
        "token",
        "cvv",
        "cvc",
        "pan",
        "card_number",
        "track1",
        "track2",
        "authorization",
        "cookie",
        "set-cookie",
        "email",
        "phone",
        "name",
        "address",
        "date_of_birth",
        "totp",
        "code",
    }
)
_PAN_LIKE = re.compile(r"\b(?:\d[ -]?){13,19}\b")
REDACTED = "[redacted]"


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Drop sensitive values and mask card-number-like digit runs in every string."""
    for key in list(event):
        value = event[key]
        if key.lower() in SENSITIVE_KEYS:
            event[key] = REDACTED
        elif isinstance(value, str) and _PAN_LIKE.search(value):
            event[key] = _PAN_LIKE.sub("[digits]", value)
    return event


def configure(*, json: bool = True, level: int = logging.INFO) -> None:
    """Route stdlib and structlog logs through one JSON (or console) renderer on stderr."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]
    # Klaremont's own events render straight to standard error: the stdlib logging chain
    # (records, handler locks, a formatter) cost a fifth of the event loop's time per request
    # for the access line alone. Other libraries' stdlib records get the same processors.
    structlog.configure(
        processors=[*shared, renderer],
        logger_factory=_StderrLogger.factory,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    # A failing handler must never print a traceback (it would carry the exception being handled).
    logging.raiseExceptions = False
    handler = _StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processor=renderer)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's access log prints query strings, which may hold personal data;
    # the security middleware logs each request's path instead.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("alembic").setLevel(logging.WARNING)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of the record, not at configuration."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        """The current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        """Ignore: the stream is always the current standard error."""


class _StderrLogger:
    """Writes each rendered event as one line to whatever ``sys.stderr`` is at the time."""

    @classmethod
    def factory(cls, *_args: Any) -> _StderrLogger:
        """structlog's logger factory (the logger name is not used)."""
        return _STDERR

    def msg(self, message: str) -> None:
        """Write one line and flush it."""
        stream = sys.stderr
        stream.write(message + "\n")
        stream.flush()

    debug = info = warning = error = critical = exception = msg


_STDERR = _StderrLogger()


def get_logger(name: str) -> FilteringBoundLogger:
    """A named structured logger."""
    logger: FilteringBoundLogger = structlog.get_logger(name)
    return logger
