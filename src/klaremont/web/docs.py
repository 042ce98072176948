"""Interactive API docs at ``/docs``: Swagger UI from the packaged ``swagger-ui-bundle``.

Nothing is fetched from another site: the Swagger UI script and styles are the wheel's own
files, mounted at ``/docs/assets``; the page is plain HTML and the initializer a served
script (``/static/docs-init.js``), so the Content-Security-Policy of every page
(``script-src 'self'``, no ``'unsafe-inline'``) holds here too.

The packaged Swagger UI (4.15) reads OpenAPI 3.0 documents only, and the app's document
(``/openapi.json``) is 3.1. The page therefore reads ``/docs/openapi-3.0.json``: the same
document written the 3.0 way (nullable instead of a ``null`` type, ``enum`` for ``const``,
one ``example``, empty security requirement lists -- the token scopes stay in each
operation's description). ``/openapi.json`` remains the contract.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from klaremont.web.render import render

if TYPE_CHECKING:
    from fastapi import FastAPI

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
SWAGGER_DOCUMENT_PATH = "/docs/openapi-3.0.json"
INITIALIZER_PATH = "/static/docs-init.js"
SWAGGER_UI_OPENAPI = "3.0.3"

router = APIRouter()


@router.get(DOCS_PATH, include_in_schema=False)
def docs_page(request: Request) -> HTMLResponse:
    """The Swagger UI page."""
    return render(
        "docs.html",
        title=request.app.title,
        assets=ASSETS_PATH,
        initializer=INITIALIZER_PATH,
        openapi_url=SWAGGER_DOCUMENT_PATH,
    )


@router.get(SWAGGER_DOCUMENT_PATH, include_in_schema=False)
def swagger_ui_document(request: Request) -> JSONResponse:
    """The OpenAPI document, written as OpenAPI 3.0 for the packaged Swagger UI."""
    return JSONResponse(as_openapi_30(request.app.openapi()))


def as_openapi_30(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of an OpenAPI 3.1 ``document`` that an OpenAPI 3.0 reader understands."""
    converted: dict[str, Any] = _schemas_30(copy.deepcopy(document))
    converted["openapi"] = SWAGGER_UI_OPENAPI
    for item in converted.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "security" in operation:
                operation["security"] = [
                    {name: [] for name in requirement} for requirement in operation["security"]
                ]
    return converted


def _schemas_30(node: Any) -> Any:
    """Rewrite the 3.1-only JSON Schema keywords of every schema below ``node``."""
    if isinstance(node, list):
        return [_schemas_30(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _schemas_30(value) for key, value in node.items()}
    _nullable_options(node)
    _nullable_type(node)
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if isinstance(node.get("examples"), list):  # a schema's; a media type's is a mapping
        examples = node.pop("examples")
        if examples:
            node["example"] = examples[0]
    for bound, flag in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), int | float) and not isinstance(node[bound], bool):
            node[flag] = node[bound]
            node[bound] = True
    return node


def _nullable_options(node: dict[str, Any]) -> None:
    """``anyOf: [X, {type: null}]`` is ``X`` with ``nullable: true``."""
    for keyword in ("anyOf", "oneOf"):
        options = node.get(keyword)
        if not isinstance(options, list) or {"type": "null"} not in options:
            continue
        rest = [option for option in options if option != {"type": "null"}]
        del node[keyword]
        node["nullable"] = True
        if len(rest) == 1 and "$ref" not in rest[0]:
            node.update(rest[0])
        else:  # 3.0 ignores siblings of $ref: wrap it
            node[keyword if len(rest) > 1 else "allOf"] = rest


def _nullable_type(node: dict[str, Any]) -> None:
    """``type: [X, "null"]`` is ``type: X`` with ``nullable: true``."""
    kind = node.get("type")
    if isinstance(kind, list) and "null" in kind:
        others = [name for name in kind if name != "null"]
        node["nullable"] = True
        node["type"] = others[0] if len(others) == 1 else others


def install(app: FastAPI) -> None:
    """Serve ``/docs``, its 3.0 document and the packaged Swagger UI assets."""
    app.router.routes.extend(router.routes)
    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_path), name="docs-assets")
