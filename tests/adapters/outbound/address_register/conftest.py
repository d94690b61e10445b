"""Shared helpers: a client over httpx.MockTransport that records requests and sleeps."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from adapters.outbound.address_register import AddressRegisterClient, RetryPolicy
from adapters.outbound.address_register.stub_server import StubRegister

SAMPLES = Path(__file__).resolve().parents[4] / "samples" / "address-register"
ENDPOINT = "http://ar.test/v1/AR"
HELFO = "79768"
CLINIC = "8142519"
PHYSIO = "8142531"
DOCTORS = "8142540"  # the municipality's doctors' service: sender of the fellesoppgjør for lege sample
PERSON = "8142520"
INACTIVE = "8142599"


@dataclass
class Recorder:
    """What the fake transport saw and how long the client wanted to sleep."""

    requests: list[httpx.Request] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    now: float = 0.0

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


Handler = Callable[[httpx.Request], httpx.Response]
MakeClient = Callable[..., tuple[AddressRegisterClient, Recorder]]


def stub_handler(stub: StubRegister) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        reply = stub.handle(request.content, request.headers.get("soapaction"))
        return httpx.Response(reply.status, content=reply.body, headers={"content-type": reply.content_type})

    return handle


def in_turn(*handlers: Handler) -> Handler:
    """A handler answering each request with the next handler; the last one repeats."""
    queue = list(handlers)

    def handle(request: httpx.Request) -> httpx.Response:
        current = queue.pop(0) if len(queue) > 1 else queue[0]
        return current(request)

    return handle


@pytest.fixture(scope="session")
def stub() -> StubRegister:
    return StubRegister.from_dir(SAMPLES)


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    made: list[httpx.Client] = []

    def make(handler: Handler, *, retry: RetryPolicy | None = None) -> tuple[AddressRegisterClient, Recorder]:
        recorder = Recorder()

        def recording(request: httpx.Request) -> httpx.Response:
            recorder.requests.append(request)
            return handler(request)

        http = httpx.Client(transport=httpx.MockTransport(recording))
        made.append(http)
        client = AddressRegisterClient(
            http,
            ENDPOINT,
            retry=retry or RetryPolicy(attempts=3, base_delay_s=0.1, max_delay_s=1.0),
            sleep=recorder.sleep,
            clock=recorder.clock,
            jitter=lambda: 1.0,  # the top of each jitter range, so the expected delays are exact
        )
        return client, recorder

    yield make
    for http in made:
        http.close()
