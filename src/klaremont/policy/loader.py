"""Reads a policy file and refuses it with every problem named as ``<dotted.key>: <rule>``.

``load_policy(None)`` returns the shipped ``klaremont.toml`` (read once and cached);
``load_policy(path)`` reads an override. Either way a bad file raises
:class:`~klaremont.errors.PolicyFileError`, never a pydantic traceback.

Every key is checked at once. Rules that tie several keys together (open before close, a
retention period no shorter than its legal hold) are checked once the keys they read are
valid, so fixing one problem can reveal another.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from klaremont.errors import FieldProblem, PolicyFileError
from klaremont.policy.model import DataCategory, PolicyFile

if TYPE_CHECKING:
    from pathlib import Path

    from pydantic_core import ErrorDetails

SHIPPED_NAME = "klaremont.toml"
FILE_KEY = "(file)"

_TYPE_RULES = {
    "missing": "missing key (required)",
    "extra_forbidden": "unknown key (not part of the policy file)",
    "int_type": "must be an integer",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "dict_type": "must be a table",
    "string_too_short": "must not be empty",
}
_FIELD_PREFIX = re.compile(r"(?P<field>[a-z_][a-z0-9_.]*): (?P<rule>.+)")
_SIMPLE = (str, int, float, bool)
_CATEGORY_DEPTH = 2  # retention.<category>


def load_policy(path: Path | None = None) -> PolicyFile:
    """Return the policy in ``path``, or the shipped policy when ``path`` is None."""
    if path is None:
        return shipped_policy()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = FieldProblem(FILE_KEY, f"cannot be read ({exc})")
        raise PolicyFileError(f"policy file {path}: {problem.rule}", problems=[problem]) from None
    return parse_policy(text, source=str(path))


@cache
def shipped_policy() -> PolicyFile:
    """The policy file shipped inside the package, validated once."""
    text = resources.files("klaremont.policy").joinpath(SHIPPED_NAME).read_text(encoding="utf-8")
    return parse_policy(text, source=f"klaremont/policy/{SHIPPED_NAME}")


def parse_policy(text: str, *, source: str = "<policy>") -> PolicyFile:
    """Validate policy TOML text; ``source`` names it in the error message."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = FieldProblem(FILE_KEY, f"not valid TOML ({exc})")
        raise PolicyFileError(f"policy file {source}: {problem.rule}", problems=[problem]) from None
    return validate_policy(data, source=source)


def validate_policy(data: dict[str, Any], *, source: str = "<policy>") -> PolicyFile:
    """Validate an already parsed policy document (the TOML as a dict)."""
    try:
        return PolicyFile.model_validate(data)
    except ValidationError as exc:
        problems = problems_from(exc)
    lines = "\n".join(f"  {p.field}: {p.rule}" for p in problems)
    count = f"{len(problems)} problem" + ("" if len(problems) == 1 else "s")
    raise PolicyFileError(
        f"policy file {source} is not valid ({count}):\n{lines}", problems=problems
    )


def problems_from(exc: ValidationError) -> list[FieldProblem]:
    """Turn pydantic's errors into ``FieldProblem(dotted.key, rule)``, one per broken rule."""
    problems: list[FieldProblem] = []
    for error in exc.errors(include_url=False):
        location = [str(part) for part in error["loc"] if _is_key(part)]
        for line in _rules(error):
            match = _FIELD_PREFIX.fullmatch(line)
            parts = location
            rule = line
            if match and error["type"] == "value_error":
                parts = [*location, match["field"]]
                rule = match["rule"]
            if (
                error["type"] == "extra_forbidden"
                and len(location) == _CATEGORY_DEPTH
                and location[0] == "retention"
            ):
                names = ", ".join(c.value for c in DataCategory)
                rule = f"unknown data category (a retention rule names one of: {names})"
            problems.append(FieldProblem(".".join(parts) or FILE_KEY, rule))
    return problems


def _is_key(part: object) -> bool:
    """Drop the validator names pydantic puts in locations (``function-after[...]``)."""
    return isinstance(part, int) or (isinstance(part, str) and not any(c in part for c in "[("))


def _rules(error: ErrorDetails) -> list[str]:
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])).splitlines()
    if kind == "literal_error":
        return [f"must be {ctx['expected']}{_got(error)}"]
    if kind == "too_short":
        count = ctx.get("min_length", 1)
        return [f"must have at least {count} item" + ("" if count == 1 else "s")]
    if kind in _TYPE_RULES:
        suffix = "" if kind in {"missing", "extra_forbidden", "string_too_short"} else _got(error)
        return [_TYPE_RULES[kind] + suffix]
    return [error["msg"].replace("Input should", "should", 1)]


def _got(error: ErrorDetails) -> str:
    value = error.get("input")
    if isinstance(value, _SIMPLE) and len(repr(value)) <= 40:  # noqa: PLR2004 - keep lines short
        text = repr(value).lower() if isinstance(value, bool) else repr(value)
        return f", not {text}"
    if isinstance(value, dict):
        return ", not a table"
    if isinstance(value, list):
        return ", not a list"
    return ""
