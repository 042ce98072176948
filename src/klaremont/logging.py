"""Structured JSON logs (structlog) that never carry personal data values or secrets.

Every event passes through :func:`redact`, which drops values of sensitive keys and masks
card data (the one card detector, :mod:`klaremont.detectors.cards`: every spelling the input
guard refuses) in every string, so a careless ``log.info(..., body=...)`` cannot leak.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import MutableMapping
from typing import Any

import structlog
from structlog.typing import FilteringBoundLogger

from klaremont.detectors.cards import redact as mask_card_data

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
REDACTED = "[redacted]"
_MAX_DEPTH = 8


#: control characters (C0, DEL, C1) a value may carry from a request (a path's ``%1B``):
#: written raw they would drive the terminal of whoever reads the log, or forge a line
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: the same, but a traceback's own line breaks and indents are kept
_CONTROL_IN_TRACEBACK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_TRACEBACK_KEYS = frozenset({"exception", "exc_info", "stack"})


def _escaped(text: str, control: re.Pattern[str] = _CONTROL) -> str:
    """``text`` with every control character written as its ``\\xNN`` escape."""
    return control.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Drop sensitive values, mask card data and escape control characters in every
    string (values, keys and nested ones)."""
    for key in list(event):
        value = event[key]
        if _CONTROL.search(key):  # a name taken from a request (a form field, a header)
            del event[key]
            key = _escaped(key)  # noqa: PLW2901 - the entry is stored under the escaped name
        if key.lower() in SENSITIVE_KEYS:
            event[key] = REDACTED
        elif key in _TRACEBACK_KEYS and isinstance(value, str):
            event[key] = _escaped(mask_card_data(value), _CONTROL_IN_TRACEBACK)
        else:
            event[key] = _masked(value, 0)
    return event


def _masked(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return _escaped(mask_card_data(value))
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {_escaped(mask_card_data(str(k))): _masked(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item, depth + 1) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
        return value if mask_card_data(text) == text else mask_card_data(text)
    return value


# Runs of 16+ token characters (anti-forgery tokens, API tokens, keys, hashes) in exception
# text: an exception message may quote a value it was given.
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_+/=-]{16,}")
_MESSAGE_MAX = 500


# Credentials named in free text, whatever their length: "Bearer abc", "token=abc",
# "password: abc" (the name is kept, the value masked).
_AUTH_SCHEME = re.compile(r"(?i)\b(bearer|basic)(\s+)[^\s,;'\"]+")
_NAMED_CREDENTIAL = re.compile(
    r"(?i)\b(token|secret|password|passwd|api[_-]?key|authorization)(\s*[:=]\s*)"
    r"(?!bearer\b|basic\b|\[redacted\])[^\s,;&'\"]+"
)


def redact_text(text: str) -> str:
    """Free text (an exception's message) with card-number-like, token-like and named
    credential values masked."""
    masked = mask_card_data(text)
    for pattern in (_AUTH_SCHEME, _NAMED_CREDENTIAL):
        masked = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", masked)
    masked = _TOKEN_LIKE.sub(REDACTED, masked)
    return masked if len(masked) <= _MESSAGE_MAX else masked[:_MESSAGE_MAX] + "..."


def format_exception(exc: BaseException) -> str:
    """A traceback that shows where, never what: file, line and function of each frame, the
    exception type and its redacted message; never a local variable, in any mode."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts: list[str] = []
    for error in reversed(chain):
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_list(traceback.extract_tb(error.__traceback__)))
        kind = type(error)
        parts.append(f"{kind.__module__}.{kind.__qualname__}: {redact_text(str(error))}\n")
    return "".join(parts)


def safe_exception(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Replace ``exc_info`` by :func:`format_exception`'s text, before any renderer sees it
    (structlog's console renderer would otherwise print a rich traceback with locals)."""
    exc_info = event.pop("exc_info", None)
    if exc_info is None or exc_info is False:
        return event
    if exc_info is True:
        exc_info = sys.exc_info()
    error = exc_info if isinstance(exc_info, BaseException) else exc_info[1]
    if isinstance(error, BaseException):
        event["exception"] = format_exception(error)
    return event


def _console_renderer() -> Any:
    return structlog.dev.ConsoleRenderer(
        colors=False, exception_formatter=structlog.dev.plain_traceback
    )


def _safe_defaults() -> None:
    """Until :func:`configure` runs (a test, a script importing Klaremont), structlog's own
    default would print a rich traceback with every frame's local variables: replace it
    with the same redacting chain, rendered for the console."""
    if not structlog.is_configured():
        structlog.configure(
            processors=[
                structlog.contextvars.merge_contextvars,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                safe_exception,
                redact,
                _console_renderer(),
            ]
        )


def configure(*, json: bool = True, level: int = logging.INFO) -> None:
    """Route stdlib and structlog logs through one JSON (or console) renderer on stderr."""
    renderer: Any = structlog.processors.JSONRenderer() if json else _console_renderer()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        safe_exception,
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
    # HTTP clients log each request's full URL at INFO, query string and all: warnings only
    for client in ("httpx", "httpx2", "httpcore", "httpcore2"):
        logging.getLogger(client).setLevel(logging.WARNING)
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


_safe_defaults()
