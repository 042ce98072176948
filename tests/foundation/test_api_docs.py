"""Interactive API docs at /docs: packaged Swagger UI assets, same origin, CSP intact."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from klaremont.testing import browser
from klaremont.web.docs import as_openapi_30

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi.testclient import TestClient

    from klaremont.platform import Platform
from klaremont.testing.live import live_server

_REFERENCE = re.compile(r'(?:src|href)="([^"]*)"')
_SCRIPT = re.compile(r"<script([^>]*)>(.*?)</script>", re.DOTALL)


def _directives(csp: str) -> dict[str, list[str]]:
    parts = (d.split() for d in csp.split(";") if d.strip())
    return {words[0]: words[1:] for words in parts}


def test_docs_page_references_only_same_origin_assets_that_are_served(client: TestClient):
    """/docs is HTML whose scripts, styles and icons all come from this origin (no CDN),
    every one of them is served, and no script is inline."""
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    references = _REFERENCE.findall(page.text)
    assert references
    for reference in references:
        assert reference.startswith("/"), reference
        assert not reference.startswith("//"), reference
        asset = client.get(reference)
        assert asset.status_code == 200, reference
        assert asset.content, reference
    scripts = _SCRIPT.findall(page.text)
    assert [attributes for attributes, _ in scripts] == [
        ' src="/docs/assets/swagger-ui-bundle.js"',
        ' src="/static/docs-init.js"',
    ]
    assert all(not body.strip() for _, body in scripts)  # nothing inline
    initializer = client.get("/static/docs-init.js")
    assert "SwaggerUIBundle(" in initializer.text
    assert initializer.headers["content-type"].startswith(("text/javascript", "application/js"))


@pytest.mark.parametrize("path", ["/docs", "/docs/assets/swagger-ui-bundle.js", "/openapi.json"])
def test_content_security_policy_holds_on_the_docs(client: TestClient, path: str):
    """The docs and their assets carry the CSP: scripts from this origin only, nothing
    inline, no eval."""
    response = client.get(path)
    directives = _directives(response.headers["content-security-policy"])
    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["style-src"]


def test_swagger_ui_reads_the_same_document_as_openapi_30(client: TestClient):
    """The document the page loads is /openapi.json written the OpenAPI 3.0 way."""
    contract = client.get("/openapi.json").json()
    shown = client.get("/docs/openapi-3.0.json").json()
    assert contract["openapi"].startswith("3.1")
    assert shown["openapi"] == "3.0.3"
    assert set(shown["paths"]) == set(contract["paths"])
    text = str(shown)
    assert "'const'" not in text
    assert "{'type': 'null'}" not in text
    staff = shown["paths"]["/api/staff"]["post"]
    assert staff["security"] == [{"apiToken": []}, {"staffSession": []}]
    assert "API token scope `admin`" in staff["description"]


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        (
            {"anyOf": [{"type": "string"}, {"type": "null"}]},
            {"type": "string", "nullable": True},
        ),
        (
            {"anyOf": [{"$ref": "#/components/schemas/X"}, {"type": "null"}]},
            {"allOf": [{"$ref": "#/components/schemas/X"}], "nullable": True},
        ),
        (
            {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
            {"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": True},
        ),
        ({"type": ["integer", "null"]}, {"type": "integer", "nullable": True}),
        ({"type": "integer", "const": 422}, {"type": "integer", "enum": [422]}),
        ({"type": "string", "examples": ["a", "b"]}, {"type": "string", "example": "a"}),
        ({"type": "string", "examples": []}, {"type": "string"}),
        (
            {"type": "number", "exclusiveMinimum": 0},
            {"type": "number", "minimum": 0, "exclusiveMinimum": True},
        ),
    ],
)
def test_openapi_30_rewrites_31_keywords(schema: dict[str, Any], expected: dict[str, Any]):
    """Each 3.1-only keyword becomes its 3.0 spelling."""
    document = {"openapi": "3.1.0", "components": {"schemas": {"S": schema}}}
    assert as_openapi_30(document)["components"]["schemas"]["S"] == expected


@pytest.fixture
def server(platform: Platform) -> Iterator[str]:
    """The app served by uvicorn in a thread; yields its base URL."""
    with live_server(platform) as base:
        yield base


@pytest.mark.browser
def test_docs_render_in_chromium_without_csp_violations(server: str):
    """In headless Chromium the docs list the operations, with no console error (a CSP
    violation is one) and no request to another origin."""
    if not browser.available():
        pytest.skip(browser.MISSING_REASON)
    problems: list[str] = []
    requested: list[str] = []
    with browser.chromium_page() as page:
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: requested.append(r.url))
        page.goto(f"{server}/docs")
        page.wait_for_selector(".opblock")
        operations = page.locator(".opblock").count()
        locked = page.locator(".opblock .authorization__btn").count()
    assert not problems
    assert operations > 60
    assert locked > 50  # guarded operations show the padlock
    assert all(url.startswith(server) for url in requested), requested
