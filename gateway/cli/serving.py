"""How ``nordgate serve`` runs uvicorn: the HTTP/1.1 implementation, its header limit, and a 431 for
headers over it.

uvicorn answers headers over h11's limit (``h11_max_incomplete_event_size``) with a 400 and closes
the socket at once. With most of a 1 MB header still unread in the kernel's buffer, that close is a
TCP reset, and the client sees "connection reset" instead of any answer. Here the answer is
RFC 6585's 431 "Request Header Fields Too Large", and the connection reads and drops what the
client is still sending (at most :data:`DRAIN_BYTES`, at most :data:`DRAIN_S`) before it closes, so
the client gets to read the answer.

h11 (pure Python) rather than httptools: it is the parser whose limits are configurable, and the
one the limit above is a setting of.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from gateway.config.settings import Settings

__all__ = ["DRAIN_BYTES", "DRAIN_S", "HeaderLimitProtocol", "server_config"]

DRAIN_BYTES: Final = 4 * 1024 * 1024
DRAIN_S: Final = 2.0
_BODY: Final = b"request headers are over the limit of this gateway (NORDGATE_MAX_HEADER_BYTES)\n"


class HeaderLimitProtocol(H11Protocol):
    """uvicorn's h11 protocol, answering 431 (not 400 and a reset) when the headers are too long."""

    _drain_left: int | None = None

    def data_received(self, data: bytes) -> None:
        if self._drain_left is not None:  # after the 431: read and drop, so the close is no reset
            self._drain_left -= len(data)
            if self._drain_left <= 0:
                self.transport.close()
            return
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        if not self._headers_too_long():
            super().send_400_response(msg)
            return
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
        # The peer's state is ERROR; a fresh connection object writes the answer (h11 is sans-I/O).
        writer = h11.Connection(h11.SERVER)
        writer.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        writer.next_event()
        for event in (h11.Response(status_code=431, headers=headers, reason=b"Request Header Fields Too Large"),
                      h11.Data(data=_BODY), h11.EndOfMessage()):
            self.transport.write(writer.send(event) or b"")
        self._drain_left = DRAIN_BYTES
        asyncio.get_running_loop().call_later(DRAIN_S, self.transport.close)

    def _headers_too_long(self) -> bool:
        # h11 keeps the refused bytes: over its limit (and no request parsed yet) is the header overflow.
        buffered = len(getattr(self.conn, "_receive_buffer", b""))
        limit = int(getattr(self.conn, "_max_incomplete_event_size", 1 << 62))
        return buffered > limit and self.conn.their_state in (h11.IDLE, h11.ERROR)


def server_config(app: Any, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """The uvicorn configuration ``nordgate serve`` runs with (tests start a server from the same)."""
    options: dict[str, Any] = {
        "host": settings.host, "port": settings.port, "http": HeaderLimitProtocol,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        # log_config=None: uvicorn leaves logging alone and its own lines go through the gateway's
        # handler; its per-request access log stays off (the gateway writes one line per request).
        "log_level": "warning", "access_log": False, "log_config": None,
    }
    options.update(overrides)
    return uvicorn.Config(app, **options)
