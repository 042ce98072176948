"""Rendering pages: one Jinja2 environment, autoescaped.

Page templates are found in ``klaremont/web/templates`` first (the console's frame
``staff/base.html`` and the pages that live there), then in each capability's own
``templates=`` folder, so a capability may keep its pages beside its code
(``klaremont/staff/templates/staff/remote_access.html`` is ``staff/remote_access.html``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    TemplateNotFound,
    select_autoescape,
)

from klaremont import capabilities
from klaremont.capabilities import NavEntry
from klaremont.display import money, plain_words, uk_date, uk_datetime
from klaremont.policy.categories import label_of

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


@capabilities.derived
def _capability_folders() -> tuple[FileSystemLoader, ...]:
    """A loader per capability that declares its own template folder, in name order."""
    return tuple(
        FileSystemLoader(c.folder / c.templates) for c in capabilities.capabilities() if c.templates
    )


class CapabilityTemplates(BaseLoader):
    """Templates from the capabilities' own ``templates=`` folders (first found wins)."""

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        """The template's source from the first capability folder that has it."""
        for loader in _capability_folders():
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template)


_ENV = Environment(
    loader=ChoiceLoader([PackageLoader("klaremont.web", "templates"), CapabilityTemplates()]),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
# How pages show dates, times and money to people (``{{ when | uk_datetime }}``).
_ENV.filters.update(
    uk_date=uk_date,
    uk_datetime=uk_datetime,
    money=money,
    words=plain_words,
    category=label_of,  # a data category as people read it ("Payment cards")
)


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
