"""Settings that explain themselves: one line per problem, and a table of every setting.

Every ``KLAREMONT_*`` variable belongs to a settings class: the platform's own
(:class:`klaremont.config.Settings`) or one a capability contributes to the extension point
``"settings"`` (the mail capability's ``KLAREMONT_MAIL_*``). From those classes this module

- turns pydantic's refusal of a bad value into one line per problem naming the variable,
  the rule and the expected format (a secret's value is never repeated);
- names every ``KLAREMONT_*`` variable in the environment that no class reads (a misspelt
  name would otherwise be ignored in silence), with difflib's nearest known name;
- lists every setting with its format, default, example and current value (secrets masked)
  for ``klaremont settings`` and the README's Settings table.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsError

from klaremont import capabilities
from klaremont.config import Settings
from klaremont.detectors.cards import redact as mask_card_data
from klaremont.errors import ConfigurationError

PREFIX = "KLAREMONT_"
# Variables of the tools around the platform (test runner, benchmarks, policy trace), not
# settings of a running platform.
TOOL_PREFIXES = ("KLAREMONT_TEST_", "KLAREMONT_BENCH_", "KLAREMONT_TRACE_")
MASK = "********"
_SHOWN_INPUT_MAX = 60
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]+@")  # a password inside a database URL
_S = TypeVar("_S", bound=BaseSettings)


def settings_classes() -> tuple[type[BaseSettings], ...]:
    """The platform's settings, then each class a capability contributes (``"settings"``)."""
    extra = tuple(cls for cls in capabilities.extensions("settings") if cls is not Settings)
    return (Settings, *extra)


def _prefix(cls: type[BaseSettings]) -> str:
    return str(cls.model_config.get("env_prefix", "")).upper()


def variable(cls: type[BaseSettings], field: str) -> str:
    """The environment variable of ``field``: ``KLAREMONT_PORT``."""
    return f"{_prefix(cls)}{field.upper()}"


def known_variables() -> frozenset[str]:
    """Every variable a settings class reads."""
    return frozenset(variable(cls, name) for cls in settings_classes() for name in cls.model_fields)


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """One line per ``KLAREMONT_*`` variable nothing reads, with the nearest known name."""
    known = known_variables()
    lines = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(PREFIX) or upper in known or upper.startswith(TOOL_PREFIXES):
            continue
        # Compared without the shared prefix, which would make every name look close.
        suffixes = sorted(k.removeprefix(PREFIX) for k in known)
        close = difflib.get_close_matches(upper.removeprefix(PREFIX), suffixes, n=1, cutoff=0.6)
        hint = (
            f"; did you mean {PREFIX}{close[0]}?" if close else "; `klaremont settings` lists them"
        )
        lines.append(f"{name}: not a Klaremont setting{hint}")
    return lines


def _fmt(cls: type[BaseSettings], field: str) -> str:
    extra = cls.model_fields[field].json_schema_extra
    return str(extra.get("format", "")) if isinstance(extra, dict) else ""


def _is_secret(cls: type[BaseSettings], field: str) -> bool:
    return "SecretStr" in str(cls.model_fields[field].annotation)


def _shown_input(value: object) -> str:
    text = _URL_PASSWORD.sub(r"\1********@", mask_card_data(str(value)))
    if len(text) > _SHOWN_INPUT_MAX:
        text = text[:_SHOWN_INPUT_MAX] + "..."
    return repr(text)


def explain(cls: type[BaseSettings], error: ValidationError | SettingsError) -> list[str]:
    """One line per problem: ``KLAREMONT_PORT: <rule> (got 'abc'); format: integer 1-65535``."""
    if isinstance(error, SettingsError):
        # Raised before validation when a list or JSON value does not parse.
        match = re.search(r'field "(\w+)"', str(error))
        field = match.group(1) if match else ""
        if field in cls.model_fields:
            return [f"{variable(cls, field)}: not valid JSON; format: {_fmt(cls, field)}"]
        return [f"{_prefix(cls)}*: {str(error).splitlines()[0]}"]
    lines = []
    for problem in error.errors(include_url=False):
        loc = [str(part) for part in problem["loc"]]
        field = loc[0] if loc else ""
        if field not in cls.model_fields:
            lines.append(f"{_prefix(cls)}*: {problem['msg']}")
            continue
        rule = str(problem["msg"]).removeprefix("Value error, ")
        got = "" if _is_secret(cls, field) else f" (got {_shown_input(problem.get('input'))})"
        where = f" (item {loc[1]})" if len(loc) > 1 else ""
        lines.append(f"{variable(cls, field)}{where}: {rule}{got}; format: {_fmt(cls, field)}")
    return lines


def load(cls: type[_S]) -> _S:
    """``cls()`` from the environment, or :class:`ConfigurationError` with one line per problem."""
    try:
        return cls()
    except (ValidationError, SettingsError) as error:
        raise ConfigurationError("\n".join(explain(cls, error))) from None


def check_environment(environ: Mapping[str, str] | None = None) -> Settings:
    """Every settings class loads and every ``KLAREMONT_*`` name is known, else one
    :class:`ConfigurationError` naming each problem on its own line."""
    env = os.environ if environ is None else environ
    lines = unknown_variables(env)
    loaded: Settings | None = None
    for cls in settings_classes():
        try:
            instance = load(cls)
        except ConfigurationError as error:
            lines.append(error.detail)
            continue
        if isinstance(instance, Settings):
            loaded = instance
    if lines or loaded is None:
        raise ConfigurationError("\n".join(lines))
    return loaded


@dataclass(frozen=True, slots=True)
class SettingRow:
    """One setting as documented and as currently set."""

    name: str
    format: str
    default: str
    example: str
    description: str
    current: str
    from_environment: bool


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, SecretStr):
        return MASK if value.get_secret_value() else ""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(f'"{item}"' for item in value) + "]"
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "value"):  # an enum member
        return str(value.value)
    return _URL_PASSWORD.sub(r"\1********@", str(value))


def _default(cls: type[BaseSettings], field: str) -> str:
    info = cls.model_fields[field]
    if info.default_factory is not None:
        return _text(info.default_factory())  # type: ignore[call-arg] # our factories take no argument
    if isinstance(info.default, SecretStr):
        return "(built-in development value)" if info.default.get_secret_value() else ""
    return _text(info.default)


def rows(environ: Mapping[str, str] | None = None) -> list[SettingRow]:
    """Every setting of every class, with its current value (secrets masked).

    A class whose current values do not load shows its defaults as current.
    """
    env = os.environ if environ is None else environ
    found = []
    for cls in settings_classes():
        try:
            current: BaseSettings | None = cls()
        except (ValidationError, SettingsError):
            current = None
        for field, info in cls.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            name = variable(cls, field)
            value = getattr(current, field) if current is not None else None
            shown = _text(value) if current is not None else _default(cls, field)
            if _is_secret(cls, field) and name in env:
                shown = MASK
            found.append(
                SettingRow(
                    name=name,
                    format=str(extra.get("format", "")),
                    default=_default(cls, field),
                    example=str(extra.get("example", "")),
                    description=info.description or "",
                    current=shown,
                    from_environment=name in env,
                )
            )
    return found


def markdown_table() -> str:
    """The README's Settings table (a test keeps the README equal to it)."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        "| Variable | Format | Default | Example | What it does |",
        "|---|---|---|---|---|",
    ]
    lines.extend(
        f"| `{row.name}` | {cell(row.format)} | {cell(row.default) and f'`{cell(row.default)}`'}"
        f" | `{cell(row.example)}` | {cell(row.description)} |"
        for row in rows(environ={})
    )
    return "\n".join(lines)
