"""Every date and moment the API takes in a JSON body is checked as it will be stored: a real
day (1900-2199) and, for a moment, its offset. A walk over every route's body models finds
each ``date`` and ``datetime`` field (nested models and optional ones too) and requires the
shared check (:data:`klaremont.plausible.Day` / ``Moment``), so a new field cannot take
year 1 or a naive time again; the services check the same for forms and the CLI."""

from __future__ import annotations

import typing
from datetime import UTC, date, datetime
from typing import Annotated, Any

import pytest
from fastapi import params
from fastapi.routing import APIRoute
from pydantic import BaseModel

from klaremont import plausible
from klaremont.errors import ValidationFailed
from klaremont.web.app import create_app


def _routes(routes: list[Any]) -> typing.Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes)


def _checked(metadata: typing.Iterable[Any]) -> bool:
    return any(getattr(m, "func", None) is plausible.check_input for m in metadata)


def _pydantic_date(annotation: Any) -> bool:
    """pydantic's own date types (``AwareDatetime``, ``PastDate``...): no span of years."""
    return (
        isinstance(annotation, type)
        and annotation.__module__.startswith("pydantic")
        and "Date" in annotation.__name__
    )


def _fields(annotation: Any, metadata: list[Any], where: str, seen: set[type], wanted):
    """(where, metadata) for every field reachable from ``annotation`` that ``wanted``
    picks out (nested models and optional fields too)."""
    if typing.get_origin(annotation) is Annotated:
        base, *more = typing.get_args(annotation)
        yield from _fields(base, [*metadata, *more], where, seen, wanted)
    elif wanted(annotation):
        yield where, metadata
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for name, field in annotation.model_fields.items():
            inner = list(field.metadata)
            yield from _fields(field.annotation, inner, f"{where}.{name}", seen, wanted)
    else:
        for argument in typing.get_args(annotation):
            yield from _fields(argument, metadata, where, seen, wanted)


def _body_fields(platform, wanted) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for route in _routes(list(create_app(platform).routes)):
        for param in route.dependant.body_params:
            if isinstance(param.field_info, params.Form):
                continue  # a form's fields are text by nature, parsed as such
            where = f"{min(route.methods or ())} {route.path} {param.name}"
            info = param.field_info
            found.update(_fields(info.annotation, list(info.metadata), where, set(), wanted))
    return found


def _is_date(annotation: Any) -> bool:
    return annotation in (date, datetime) or _pydantic_date(annotation)


def test_every_date_in_an_api_body_is_checked_as_it_will_be_stored(platform) -> None:
    found = _body_fields(platform, _is_date)
    assert len(found) >= 15  # the walk reached the bodies (staff, customers, media, ...)
    assert any("date_of_birth" in where for where in found)
    unchecked = sorted(where for where, metadata in found.items() if not _checked(metadata))
    assert not unchecked, "\n".join(unchecked)


def test_every_whole_number_in_an_api_body_is_strict(platform) -> None:
    """JSON's ``true``, ``"5"`` and ``5.0`` are not counts: every ``int`` of a body is
    strict (``true`` was stored as a card's expiry month 1 and an incident's people count)."""
    found = _body_fields(platform, lambda annotation: annotation is int)
    assert len(found) >= 10
    lax = sorted(w for w, metadata in found.items() if not any(_strict(m) for m in metadata))
    assert not lax, "\n".join(lax)


def _strict(metadata: Any) -> bool:
    return getattr(metadata, "strict", None) is True


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (date(1, 1, 1), plausible.SPAN),
        (date(9999, 12, 31), plausible.SPAN),
        (datetime(2026, 1, 1, 10), plausible.NEEDS_OFFSET),  # noqa: DTZ001 - the naive case
        (datetime.fromisoformat("9999-12-31T23:59:59-23:59"), plausible.SPAN),  # UTC overflows
        (datetime.fromisoformat("1899-12-31T23:00:00+00:00"), plausible.SPAN),
    ],
)
def test_implausible_dates_and_moments_are_refused_naming_the_field(value, rule) -> None:
    check = plausible.moment if isinstance(value, datetime) else plausible.day
    with pytest.raises(ValidationFailed) as refused:
        check("when", value)
    assert [(p.field, p.rule) for p in refused.value.problems] == [("when", rule)]


def test_a_moment_with_an_offset_is_kept_in_utc_and_the_future_is_refused() -> None:
    now = datetime.fromisoformat("2026-06-01T12:00:00+00:00")
    kept = plausible.past_moment("when", datetime.fromisoformat("2026-06-01T12:30+01:00"), now)
    assert kept == datetime.fromisoformat("2026-06-01T11:30:00+00:00")
    assert kept.tzinfo is UTC
    with pytest.raises(ValidationFailed, match="must not be in the future"):
        plausible.past_day("when", date(2026, 6, 2), now.date())
    assert plausible.past_day("when", date(1900, 1, 1), now.date()) == date(1900, 1, 1)
