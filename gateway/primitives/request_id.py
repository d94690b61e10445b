"""The request id: one token that follows a message from the push to its delivery.

A client may send ``X-Request-Id``; it is kept when it is short and made only of safe characters,
and replaced by a fresh one otherwise (never refused: a bad id is no reason to lose a message).
The id is echoed in the response header, bound to a context variable so that every log line of the
request carries it (:mod:`gateway.observability.logs`), stored with a settlement and its outbox row,
and bound again by the outbox worker while it delivers that row.

Why so strict a character set: the id goes back out in a response header and into every log line,
so it must not be able to carry CR/LF (header or log injection), quotes or spaces, and its length
bounds what one client can add to every log line.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final

__all__ = ["HEADER", "MAX_LENGTH", "accept_request_id", "bind_request_id", "bound_request_id", "current_request_id",
           "new_request_id"]

HEADER: Final = "x-request-id"
MAX_LENGTH: Final = 64
_VALID: Final = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:-]{{0,{MAX_LENGTH - 1}}}")
_REQUEST_ID: ContextVar[str | None] = ContextVar("nordgate_request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(value: str | None) -> str:
    """The client's id when it is valid, else a new one."""
    if value is not None and _VALID.fullmatch(value):
        return value
    return new_request_id()


def current_request_id() -> str | None:
    """The id of the request (or delivery) this code runs for; None outside one."""
    return _REQUEST_ID.get()


@contextmanager
def bound_request_id(value: str | None) -> Iterator[None]:
    """Run a block with ``value`` as the current request id (a worker delivering a stored message)."""
    token = _REQUEST_ID.set(value)
    try:
        yield
    finally:
        _REQUEST_ID.reset(token)


def bind_request_id(value: str | None) -> None:
    """Set the id for the rest of the current context (an ASGI request's task)."""
    _REQUEST_ID.set(value)
