"""The request body as the server reads it: in bounded time, unencoded, of the syntax its Content-Type
says, and a client hanging up mid-body is the client's doing, not a server error.

A plain ASGI middleware that wraps ``receive``; every check raises from the route's own body read
(``read_limited_body``, FastAPI's body models), so the error handlers answer it as any other
refusal and the push metrics count it as refused with its code, never as failed:

- **Client closed** (499, ``CLIENT_CLOSED_REQUEST``): the server saw ``http.disconnect`` before the
  body was whole. nginx's 499 is the established name for it; nobody reads the answer, but the log
  line and the latency histogram say 499, not 500, and no stack trace is written (3,000 hang-ups
  once wrote 3,001 "unexpected error" tracebacks, and counted the pushes as failed).
- **Body read timeout** (408, ``BODY_READ_TIMEOUT``): the whole body must arrive within
  ``NORDGATE_BODY_READ_TIMEOUT_S`` of its first read (default 30 s). uvicorn has no such limit (its
  timeouts are for idle keep-alive connections), so a client trickling a byte a minute held a
  request open for as long as it liked. The answer carries ``Connection: close``: the rest of the
  body is never read, so the connection cannot carry another request.
- **Content-Encoding** (415, ``CONTENT_ENCODING_UNSUPPORTED``): a gzipped body is refused, not
  decoded. Decoding would need a second size limit on the inflated bytes (a 5 MB gzip bomb is
  gigabytes), and no sender of the formats the gateway takes compresses; RFC 9110 §15.5.16 asks for
  415 and an ``Accept-Encoding`` answer header naming what is taken (``identity``).
- **Syntax against Content-Type** (415, ``MEDIA_TYPE_MISMATCH``): an XML body sent as
  ``application/json`` (or JSON as an XML type) is refused from its first byte instead of being
  read by whichever format recognises it; a client that mislabels its body is told so.
"""

from __future__ import annotations

import asyncio
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.primitives.errors import SenderError, UnsupportedMediaType
from gateway.primitives.media_types import (
    FHIR_JSON_MEDIA_TYPE,
    FHIR_XML_MEDIA_TYPE,
    JSON_MEDIA_TYPES,
    XML_MEDIA_TYPES,
)

__all__ = ["BodyGuard", "BodyReadTimeout", "ClientClosed"]

_JSON_TYPES: Final = frozenset({*JSON_MEDIA_TYPES, FHIR_JSON_MEDIA_TYPE})
_XML_TYPES: Final = frozenset({*XML_MEDIA_TYPES, FHIR_XML_MEDIA_TYPE})
_WHITESPACE: Final = b" \t\r\n\xef\xbb\xbf"  # a UTF-8 byte-order mark is no content either


class ClientClosed(SenderError):
    """The client hung up before its body was read: nginx's 499 "client closed request"."""

    http_status = 499


class BodyReadTimeout(SenderError):
    http_status = 408


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope.get("headers", ())}


def _media(value: bytes | None) -> str:
    return (value or b"").split(b";", 1)[0].strip().lower().decode("latin-1")


def _check_syntax(media: str, first: bytes) -> None:
    start = first.lstrip(_WHITESPACE)[:1]
    if not start:
        return
    if media in _JSON_TYPES and start == b"<":
        raise UnsupportedMediaType("MEDIA_TYPE_MISMATCH",
                                   f"the body is XML but the Content-Type says {media}; send it as application/xml")
    if media in _XML_TYPES and start in (b"{", b"["):
        raise UnsupportedMediaType("MEDIA_TYPE_MISMATCH",
                                   f"the body is JSON but the Content-Type says {media}; send it as application/json")


class BodyGuard:
    def __init__(self, app: ASGIApp, *, read_timeout_s: float) -> None:
        self.app = app
        self.read_timeout_s = read_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        encoding = headers.get(b"content-encoding", b"").strip().lower()
        media = _media(headers.get(b"content-type"))
        # Read to its end (or none declared): later receives are StreamingResponse waiting for the
        # disconnect, which must reach it untouched and without a deadline.
        whole = headers.get(b"content-length", b"0").strip() in (b"0", b"") and b"transfer-encoding" not in headers
        first = True
        deadline: float | None = None
        timed_out = False

        async def guarded_receive() -> Message:
            nonlocal whole, first, deadline, timed_out
            if whole:
                # After the body: StreamingResponse listens for http.disconnect here; pass it on.
                return await receive()
            if encoding not in (b"", b"identity"):
                raise UnsupportedMediaType(
                    "CONTENT_ENCODING_UNSUPPORTED",
                    f"Content-Encoding {encoding.decode('latin-1')[:40]} is not taken; send the body uncompressed")
            loop = asyncio.get_running_loop()
            if deadline is None:
                deadline = loop.time() + self.read_timeout_s
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                timed_out = True
                raise BodyReadTimeout("BODY_READ_TIMEOUT",
                                      f"the body did not arrive whole within {self.read_timeout_s:g} s") from None
            if message["type"] == "http.disconnect":
                whole = True
                raise ClientClosed("CLIENT_CLOSED_REQUEST", "the client closed the connection before the body was read")
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                if first and chunk.lstrip(_WHITESPACE):
                    first = False
                    _check_syntax(media, chunk)
                if not message.get("more_body", False):
                    whole = True
            return message

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                if timed_out:  # the rest of the body is unread: the connection cannot carry another request
                    response_headers["connection"] = "close"
                if int(message["status"]) == 415 and encoding not in (b"", b"identity"):
                    response_headers["accept-encoding"] = "identity"
            await send(message)

        await self.app(scope, guarded_receive, send_closing)
