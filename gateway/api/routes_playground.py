"""GET /playground: the web playground, served by the gateway itself (HTML, one script, one stylesheet).

| request | what |
|---|---|
| ``GET /playground`` | the page (server-rendered; samples listed in it) |
| ``GET /playground/static/{playground.js,playground.css}`` | its script and stylesheet (no other file) |
| ``GET /playground/samples`` | every sample the golden runner discovers: path, format, options |
| ``GET /playground/samples/{path}`` | one sample: message, options with the given messages' text, expected |
| ``POST /playground/compare`` | ``{"sample": path, "actual": …}`` → the golden diff against its expected file |

The page runs previews through ``POST /preview/session`` (:mod:`gateway.api.routes_preview`).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gateway.api.media import require_media_type
from gateway.api.routes_bookings import read_limited_body
from gateway.bootstrap.runtime import Runtime
from gateway.playground.page import STATIC_FILES, render_page, static_file
from gateway.primitives.errors import MalformedInput, NotFound
from gateway.primitives.jsonsafe import decode_json
from gateway.toolkit.samples import compare, find_sample, sample_details, samples, samples_folder

__all__ = ["router"]

router = APIRouter(include_in_schema=True)

# The page shows untrusted messages: no inline script may run, nothing loads from elsewhere.
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def _json(data: Any) -> Response:
    return Response(orjson.dumps(data), media_type="application/json")


@router.get("/playground", summary="The web playground", response_class=HTMLResponse)
def playground(request: Request) -> HTMLResponse:
    runtime: Runtime = request.app.state.runtime
    page = render_page(samples(samples_folder()), runtime.sources, runtime.settings.default_source,
                       runtime.default_version.value)
    return HTMLResponse(page, headers={"Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff"})


@router.get("/playground/static/{name}", summary="The playground's script and stylesheet",
            responses={200: {"content": {media.split(";")[0]: {} for media in STATIC_FILES.values()}}})
def playground_static(name: str) -> Response:
    if name not in STATIC_FILES:
        raise NotFound("STATIC_UNKNOWN", f"no static file {name!r}")
    return Response(static_file(name), media_type=STATIC_FILES[name],
                    headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


@router.get("/playground/samples", summary="Every sample message with its format and case options")
def playground_samples() -> Response:
    return _json([sample.summary() for sample in samples(samples_folder())])


@router.get("/playground/samples/{path:path}", summary="One sample: message, options, expected output")
def playground_sample(path: str) -> Response:
    return _json(sample_details(find_sample(samples_folder(), path)))


@router.post("/playground/compare", summary="Compare a preview's output with a sample's expected file")
async def playground_compare(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    require_media_type(request.headers.get("content-type"), ("application/json",))
    limit = runtime.settings.max_body_bytes
    document = decode_json(await read_limited_body(request, limit), max_bytes=limit, prefix="COMPARE",
                           what="comparison")
    if not isinstance(document, dict) or not isinstance(document.get("sample"), str) or "actual" not in document:
        raise MalformedInput("COMPARE_INVALID", 'send {"sample": "<path>", "actual": <Bundle or OperationOutcome>}',
                             location="/")
    return _json(compare(find_sample(samples_folder(), document["sample"]), document["actual"]))
