"""``/docs``: Swagger UI from files shipped with the gateway, so the page renders without internet.

FastAPI's own ``/docs`` loads Swagger UI from a CDN (jsdelivr); on an air-gapped host the page
stayed blank. The assets come from the ``fastapi-offline`` distribution's ``static/`` folder
(Swagger UI 5, which reads the OpenAPI 3.1 document FastAPI writes; ``swagger-ui-bundle`` ships
Swagger UI 4.15, which cannot). Only its files are used, not its ``FastAPI`` subclass.

Who may open it: like every route, ``/docs``, its assets and ``/openapi.json`` need a bearer token
unless ``NORDGATE_DOCS_PUBLIC=true`` (gateway/api/auth_middleware.py); a browser sends no
``Authorization`` header by itself. docs/operators.md ("The API documentation page") says how to
open it either way.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Final

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

from gateway.primitives.errors import NotFound

__all__ = ["DOCS_PATHS", "STATIC_PREFIX", "install_docs_page"]

STATIC_PREFIX: Final = "/docs/static/"
_ASSETS: Final = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8", "swagger-ui.css": "text/css; charset=utf-8",
                  "favicon.png": "image/png"}
#: The paths of the page, its assets and the document it shows.
DOCS_PATHS: Final = frozenset({"/docs", "/openapi.json", *(STATIC_PREFIX + name for name in _ASSETS)})


def _asset(name: str) -> bytes:
    return files("fastapi_offline").joinpath("static", name).read_bytes()


def install_docs_page(app: FastAPI) -> None:
    """Add ``/docs`` and its assets to an app made with ``docs_url=None``."""

    @app.get("/docs", include_in_schema=False)
    def docs_page() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} API",
                                   swagger_js_url=f"{STATIC_PREFIX}swagger-ui-bundle.js",
                                   swagger_css_url=f"{STATIC_PREFIX}swagger-ui.css",
                                   swagger_favicon_url=f"{STATIC_PREFIX}favicon.png")

    @app.get(STATIC_PREFIX + "{name}", include_in_schema=False)
    def docs_asset(name: str) -> Response:
        media = _ASSETS.get(name)
        if media is None:
            raise NotFound("ROUTE_NOT_FOUND", "no such file of the documentation page")
        return Response(_asset(name), media_type=media, headers={"cache-control": "public, max-age=86400"})
