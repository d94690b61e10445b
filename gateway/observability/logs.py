"""Log lines: one JSON object per line on stderr (or plain text), each with the request id.

``NORDGATE_LOG_FORMAT=json`` (the default) writes::

    {"ts":"2026-11-20T10:15:02.123Z","level":"info","logger":"nordgate.outbox","message":"delivered …",
     "request_id":"3f2a…","msg_id":"…","attempt":1}

``text`` writes ``2026-11-20T10:15:02.123Z INFO nordgate.outbox [3f2a…] delivered …``.
``NORDGATE_LOG_LEVEL`` (``debug`` … ``critical``, default ``info``) sets the root level.

What never reaches a log line: message bodies, tokens, passwords, identity numbers. The gateway's
own log calls only name ids, codes and counts; as a second wall every line passes
:func:`redact`, which masks 10–12-digit numbers (personnummer, samordningsnummer, fødselsnummer,
D-nummer, with or without a separator) and bearer tokens, and an exception is logged by its type
and stack only: its message may quote input.

Structured fields: ``_log.info("delivered", extra={"msg_id": …})`` adds ``"msg_id"`` to the JSON
object (and ``msg_id=…`` to a text line); values pass :func:`redact` too.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
import traceback
from typing import IO, Any, Final

import orjson

from gateway.primitives.request_id import current_request_id

__all__ = ["JsonFormatter", "TextFormatter", "configure_logging", "redact"]

# Digits of a Nordic identity number: 6 (date) + optional separator + 4-6; not part of a longer
# word, number or hyphenated id (a UUID's 12-digit last group is preceded by "-", so it stays).
_IDENTITY: Final = re.compile(r"(?<![\w-])(?:\d{6}[-+]?\d{4}|\d{8}[-+]?\d{4}|\d{11})(?![\w-])")
_BEARER: Final = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_STANDARD: Final = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime",
                                                                                        "request_id"}
_HANDLER_NAME: Final = "nordgate"
LEVELS: Final = ("debug", "info", "warning", "error", "critical")


def redact(text: str) -> str:
    """Mask identity numbers and credentials in a line about to be written."""
    return _BEARER.sub(r"\1 ***", _IDENTITY.sub("***", text))


def _instant(created: float) -> str:
    return dt.datetime.fromtimestamp(created, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in record.__dict__.items():
        if key in _STANDARD or key.startswith("_"):
            continue
        fields[key] = redact(value) if isinstance(value, str) else value
    return fields


def _exception(record: logging.LogRecord) -> tuple[str, str] | None:
    """(type, stack) of a logged exception, without its message."""
    if not record.exc_info or record.exc_info[0] is None:
        return None
    exc_type, _, tb = record.exc_info
    return exc_type.__qualname__, redact("".join(traceback.format_tb(tb)).rstrip())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": _instant(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        line.update(_extras(record))
        failure = _exception(record)
        if failure is not None:
            line["exc_type"], line["stack"] = failure
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        parts = [_instant(record.created), record.levelname, record.name]
        if request_id:
            parts.append(f"[{request_id}]")
        parts.append(redact(record.getMessage()))
        parts += [f"{key}={value}" for key, value in _extras(record).items()]
        text = " ".join(parts)
        failure = _exception(record)
        if failure is not None:
            text += f"\n{failure[0]}\n{failure[1]}"
        return text


class _RequestIdFilter(logging.Filter):
    """Stamps each record with the request id of the context that logged it (before any hand-off)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


def configure_logging(log_format: str = "json", level: str = "info", *, stream: IO[str] | None = None) -> None:
    """Send every log record (the gateway's, uvicorn's, libraries') through one handler on stderr.

    Called once by ``nordgate serve``; calling it again replaces the handler it installed."""
    if log_format not in ("json", "text"):
        raise ValueError(f"log format {log_format!r}: expected json or text")
    if level.lower() not in LEVELS:
        raise ValueError(f"log level {level!r}: expected one of {', '.join(LEVELS)}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's loggers write through their own handlers when it configures them; the caller runs
    # uvicorn with log_config=None, and these then reach the root handler above as JSON too.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # Alembic announces its plugins at INFO whenever the schema revision is read at start-up.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
