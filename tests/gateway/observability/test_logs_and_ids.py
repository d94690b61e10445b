"""Log lines (JSON and text), the masking of identity numbers and credentials, and request ids."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from gateway.observability.logs import configure_logging, redact
from gateway.primitives.request_id import (
    MAX_LENGTH,
    accept_request_id,
    bound_request_id,
    current_request_id,
)


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """configure_logging on a buffer; the root logger restored afterwards (pytest's own handlers too)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    yield stream
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def test_json_lines_carry_the_request_id_and_extra_fields(captured: io.StringIO) -> None:
    configure_logging("json", "info", stream=captured)
    log = logging.getLogger("nordgate.test")
    with bound_request_id("req-42"):
        log.info("message %s delivered", "m-1", extra={"msg_id": "m-1", "attempt": 2})
    log.debug("not at info")
    [line] = captured.getvalue().splitlines()
    record = json.loads(line)
    assert record["request_id"] == "req-42" and record["msg_id"] == "m-1" and record["attempt"] == 2
    assert record["level"] == "info" and record["logger"] == "nordgate.test"
    assert record["message"] == "message m-1 delivered" and record["ts"].endswith("Z")


def test_identity_numbers_tokens_and_exception_messages_never_reach_a_line(captured: io.StringIO) -> None:
    configure_logging("json", "debug", stream=captured)
    log = logging.getLogger("nordgate.test")
    log.warning("patient 191212121212 / 19121212-1212 / 15056522279, header Authorization: Bearer abc.def.ghi",
                extra={"who": "201212121212"})
    try:
        raise ValueError("the body said 191212121212")
    except ValueError:
        log.exception("failed")
    text = captured.getvalue()
    assert "1212121212" not in text and "15056522279" not in text and "abc.def" not in text
    failure = json.loads(text.splitlines()[1])
    assert failure["exc_type"] == "ValueError" and "ValueError:" not in failure["stack"]


def test_text_format(captured: io.StringIO) -> None:
    configure_logging("text", "info", stream=captured)
    with bound_request_id("r1"):
        logging.getLogger("nordgate.test").info("hello", extra={"n": 1})
    assert captured.getvalue().split(" ", 1)[1].strip() == "INFO nordgate.test [r1] hello n=1"


def test_redact_leaves_ids_hashes_and_times_alone() -> None:
    kept = ("msg 0b7e5c1e-2222-4c4c-8a8a-000000000001 to 79768 at 20261025023000, attempt 3 of 1000, "
            "sha 3f2a9c, HER-id 8142531")
    assert redact(kept) == kept
    assert redact("fnr 15056522279.") == "fnr ***."


@pytest.mark.parametrize("value", ["abc", "A.b_c:d-1", "x" * MAX_LENGTH])
def test_a_valid_request_id_is_kept(value: str) -> None:
    assert accept_request_id(value) == value


@pytest.mark.parametrize("value", [None, "", "x" * (MAX_LENGTH + 1), "with space", "line\nbreak", "-lead", "ö"])
def test_an_invalid_request_id_is_replaced(value: str | None) -> None:
    replaced = accept_request_id(value)
    assert replaced != value and len(replaced) == 32 and replaced.isalnum()


def test_bound_request_id_is_restored() -> None:
    assert current_request_id() is None
    with bound_request_id("outer"), bound_request_id("inner"):
        assert current_request_id() == "inner"
    assert current_request_id() is None
