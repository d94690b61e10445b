"""A fake settlement receiver that misbehaves on command, in the spirit of the AR stub's ``/_control``.

It takes what :class:`~adapters.outbound.transport.HttpTransport` sends (``POST`` with
``X-Message-Id``) and keeps each message id once, as a real receiver keyed on the message id does:
the first copy is stored and answered 200, a later copy 409 ("already have it"). Modes:

- ``ok``: as above;
- ``slow``: waits ``delay_s``, then behaves as ``ok`` (the message *is* taken: a sender that timed
  out meanwhile never hears so, and its retry gets 409);
- ``fail``: 500, nothing kept;
- ``down``: closes the connection without an answer, nothing kept;
- ``reject``: 400, nothing kept (the receiver refuses the message for good).

``count`` limits a mode to that many requests, then the mode returns to ``ok``. Set the mode from
the test (:meth:`FakeReceiver.set_mode`) or over HTTP (``POST /_control {"mode": …, "delay_s": …,
"count": …}``; ``GET /_control`` shows it). Every attempt is recorded with its time and mode, so a
test can check attempts, backoff and exactly-once delivery. Listens on 127.0.0.1 only.

    python -m tests.faults.receiver --port 8090      # the same, on its own, for trying things by hand
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

__all__ = ["MODES", "Attempt", "FakeReceiver"]

MODES: Final = ("ok", "slow", "fail", "down", "reject")
_MAX_DELAY_S: Final = 60.0


@dataclass(frozen=True, slots=True)
class Attempt:
    msg_id: str
    at: float  # time.monotonic() when the request arrived
    mode: str
    status: int | None  # None: the connection was closed without an answer


class FakeReceiver:
    def __init__(self, port: int = 0) -> None:
        self._lock = threading.Lock()
        self._mode = "ok"
        self._delay_s = 0.0
        self._remaining: int | None = None
        self.attempts: list[Attempt] = []
        self.accepted: dict[str, bytes] = {}  # msg id → the body kept (first copy)
        self.duplicates: Counter[str] = Counter()  # msg id → copies answered 409
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if self.path != "/_control":
                    self._answer(404)
                    return
                self._answer(200, json.dumps(receiver.state()).encode())

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if self.path == "/_control":
                    try:
                        command = json.loads(body)
                        if not isinstance(command, dict):
                            raise ValueError("the body must be a JSON object")
                        receiver.set_mode(command.get("mode", "ok"), delay_s=command.get("delay_s", 0.0),
                                          count=command.get("count"))
                    except ValueError as exc:
                        self._answer(400, json.dumps({"error": str(exc)}).encode())
                        return
                    self._answer(200, json.dumps(receiver.state()).encode())
                    return
                status = receiver.receive(self.headers.get("x-message-id", ""), body)
                if status is None:
                    self.close_connection = True  # no status line at all: the sender sees a dropped connection
                    return
                self._answer(status)

            def _answer(self, status: int, body: bytes = b"") -> None:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-receiver", daemon=True)

    # ---------------------------------------------------------------- life cycle

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/in"

    def start(self) -> FakeReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------- control

    def set_mode(self, mode: str, *, delay_s: float = 0.0, count: int | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if isinstance(delay_s, bool) or not isinstance(delay_s, int | float) or not 0 <= delay_s <= _MAX_DELAY_S:
            raise ValueError(f"delay_s must be a number from 0 to {_MAX_DELAY_S:g}")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise ValueError("count must be a positive integer or null")
        with self._lock:
            self._mode, self._delay_s, self._remaining = mode, float(delay_s), count

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"mode": self._mode, "delay_s": self._delay_s, "count": self._remaining,
                    "attempts": len(self.attempts), "accepted": len(self.accepted),
                    "duplicates": sum(self.duplicates.values())}

    def attempts_of(self, msg_id: str) -> list[Attempt]:
        with self._lock:
            return [attempt for attempt in self.attempts if attempt.msg_id == msg_id]

    # ------------------------------------------------------------------ requests

    def _next_mode(self) -> tuple[str, float]:
        with self._lock:
            mode, delay_s = self._mode, self._delay_s
            if self._remaining is not None:
                self._remaining -= 1
                if self._remaining <= 0:
                    self._mode, self._delay_s, self._remaining = "ok", 0.0, None
            return mode, delay_s

    def receive(self, msg_id: str, body: bytes) -> int | None:
        arrived = time.monotonic()
        mode, delay_s = self._next_mode()
        status: int | None
        if not msg_id:
            status = 400
        elif mode == "fail":
            status = 500
        elif mode == "down":
            status = None
        elif mode == "reject":
            status = 400
        else:
            if mode == "slow":
                time.sleep(delay_s)
            with self._lock:
                if msg_id in self.accepted:
                    self.duplicates[msg_id] += 1
                    status = 409
                else:
                    self.accepted[msg_id] = body
                    status = 200
        with self._lock:
            self.attempts.append(Attempt(msg_id, arrived, mode, status))
        return status


def main() -> None:  # pragma: no cover - for trying things by hand
    parser = argparse.ArgumentParser(description="a fake settlement receiver with /_control modes")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()
    receiver = FakeReceiver(args.port).start()
    print(f"fake receiver on {receiver.url} (control: /_control); Ctrl-C stops it")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        receiver.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
