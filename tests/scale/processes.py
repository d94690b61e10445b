"""Real gateway processes and a counting receiver, for the multi-process tests.

:class:`GatewayProcess` runs ``nordgate serve`` as a subprocess on 127.0.0.1 and a free port, logs
to a file (JSON lines), and is killed with SIGKILL by :meth:`GatewayProcess.kill` (also from the
tests' ``finally``: no process outlives its test). :class:`CountingReceiver` is a loopback HTTP
receiver that counts every POST per ``X-Message-Id``: the first is accepted (200), any later one
answered 409 "already have it", as a real idempotent receiver does.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

__all__ = ["CountingReceiver", "GatewayProcess", "free_port", "wait_for"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], Any], *, deadline: float, what: str, poll_s: float = 0.05) -> Any:
    """Poll ``condition`` until it is truthy or the monotonic ``deadline`` passes."""
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(poll_s)


class GatewayProcess:
    """``nordgate serve`` in a subprocess; start several, then :meth:`wait_ready` for each."""

    def __init__(self, name: str, folder: Path, env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"gateway-{name}.log"
        full_env = {**os.environ, **env, "NORDGATE_HOST": "127.0.0.1", "NORDGATE_PORT": str(self.port)}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from gateway.cli import main; main()", "serve"],
                env=full_env, cwd=folder, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, deadline: float) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"gateway {self.name} exited with {self.process.returncode}:\n{self.log()}")
            try:
                return httpx.get(f"{self.base}/readyz", timeout=1.0).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, deadline=deadline, what=f"gateway {self.name} to be ready", poll_s=0.1)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, leases left held."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


class _Handler(BaseHTTPRequestHandler):
    receiver: CountingReceiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        first = self.receiver.record(self.headers.get("x-message-id", ""), body)
        self.send_response(200 if first else 409)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


class CountingReceiver:
    """Loopback HTTP receiver; ``delay_s`` per POST widens the window in which a delivery is in flight."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.posts: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"receiver": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/in"

    def record(self, msg_id: str, body: bytes) -> bool:
        if self.delay_s:
            time.sleep(self.delay_s)
        with self._lock:
            self.posts[msg_id] += 1
            first = self.accepted[msg_id] == 0 and bool(body)
            if first:
                self.accepted[msg_id] += 1
        return first

    def __enter__(self) -> CountingReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
