"""Rendering pages: one Jinja2 environment over ``klaremont/web/templates``, autoescaped."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from klaremont import capabilities
from klaremont.capabilities import NavEntry
from klaremont.display import money, plain_words, uk_date, uk_datetime

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

_ENV = Environment(
    loader=PackageLoader("klaremont.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
# How pages show dates, times and money to people (``{{ when | uk_datetime }}``).
_ENV.filters.update(uk_date=uk_date, uk_datetime=uk_datetime, money=money, words=plain_words)


def console_nav(permissions: Iterable[str] | None) -> list[NavEntry]:
    """The staff console's navigation for someone holding ``permissions``: every entry the
    capabilities declare that needs no permission or one the person holds."""
    held = set(permissions or ())
    shown: dict[str, NavEntry] = {}  # one link per path (an entry may be declared per permission)
    for entry in capabilities.navigation():
        if entry.permission is None or entry.permission in held:
            shown.setdefault(entry.path, entry)
    return list(shown.values())


_ENV.globals["console_nav"] = console_nav


def render(
    template: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` with ``context`` into an HTML response."""
    body = _ENV.get_template(template).render(**context)
    return HTMLResponse(body, status_code=status_code, headers=headers)
