"""Console page templates may live in a capability's own ``templates=`` folder: the one
rendering environment finds them after the shell's own (``web/templates``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment, TemplateNotFound

from klaremont import capabilities
from klaremont.web.render import CapabilityTemplates, render

PACKAGE = Path(capabilities.__file__).resolve().parent


def test_a_page_kept_beside_its_capability_is_found_and_extends_the_console_frame():
    source, filename, _ = CapabilityTemplates().get_source(
        Environment(autoescape=True), "staff/remote_access.html"
    )
    assert filename is not None
    assert Path(filename).is_relative_to(PACKAGE / "staff" / "templates")
    assert '{% extends "staff/base.html" %}' in source


def test_the_shells_templates_are_not_looked_for_in_capability_folders():
    with pytest.raises(TemplateNotFound):
        CapabilityTemplates().get_source(Environment(autoescape=True), "staff/base.html")
    page = render("staff/error.html", title="t", detail="d", message="m", status=404)
    assert page.status_code == 200
    assert "Klaremont staff console" in page.body.decode()
