"""A stand-in NHN address register for tests, demos and local development.

It answers the four SOAP operations the gateway uses from JSON files (format in
``samples/address-register/README.md``), with the register's own fault for an unknown HER-id, and
can be told to misbehave so fault handling is testable end to end:

    POST /_control  {"mode": "ok" | "slow" | "fail" | "down" | "garbage", "delay_s": 2.5, "count": 3}
    GET  /_control  the current mode and how many SOAP requests were answered

``slow`` waits ``delay_s`` before answering normally; ``fail`` answers HTTP 500 with a SOAP Server
fault; ``down`` answers 503 with a plain-text body, as a load balancer with no healthy backend does;
``garbage`` answers 200 with an HTML page. With ``count`` only that many SOAP requests misbehave,
then the mode returns to ``ok``. Every path other than ``/_control`` and ``/_health`` is the SOAP
endpoint, so the real path (``/v1/AR``) works as it is.

:class:`StubRegister` is the pure request → reply part (no I/O), which tests can drive through an
``httpx.MockTransport``; :func:`create_stub_app` wraps it in a Starlette app.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.outbound.address_register import soap
from adapters.outbound.address_register.soap import NO_SUCH_HER_ID_ERROR_CODE, Operation
from gateway.domain.parties import CommunicationParty, ElectronicAddress, PartyType, PhysicalAddress
from gateway.primitives.errors import ConfigurationError, MalformedInput, PayloadTooLarge

__all__ = ["MODES", "PartyRecord", "StubControl", "StubRegister", "StubReply", "create_stub_app", "load_parties"]

MODES: Final = ("ok", "slow", "fail", "down", "garbage")
_NO_SUCH_HER_ID_TEXT: Final = "Kommunikasjonspart med oppgitt HER-id eksisterer ikke."
_XML: Final = soap.SOAP11_CONTENT_TYPE
_MAX_DELAY_S: Final = 120.0


@dataclass(frozen=True, slots=True)
class PartyRecord:
    """What the stand-in register holds for one HER-id."""

    party: CommunicationParty
    encryption_certificate: bytes | None = None
    signature_certificate: bytes | None = None


@dataclass(frozen=True, slots=True)
class StubReply:
    status: int
    body: bytes
    content_type: str = _XML


class StubRegister:
    """The register's answers, as a pure function of the request."""

    def __init__(self, parties: dict[int, PartyRecord]) -> None:
        self._parties = dict(parties)

    @classmethod
    def from_dir(cls, data_dir: Path) -> StubRegister:
        return cls(load_parties(data_dir))

    def __len__(self) -> int:
        return len(self._parties)

    def handle(self, body: bytes, soap_action: str | None) -> StubReply:
        try:
            request = soap.parse_request(body, soap_action)
        except (MalformedInput, PayloadTooLarge) as exc:
            return StubReply(500, soap.build_fault(sender=True, reason=f"{exc.code}: {exc.message}"))
        if request.operation is Operation.PING:
            return StubReply(200, soap.build_ping_response())
        record = self._parties.get(request.her_id or 0)
        if record is None:
            # The real register answers an unknown HER-id with a sender fault and this detail code.
            return StubReply(
                500,
                soap.build_fault(sender=True, reason=_NO_SUCH_HER_ID_TEXT, error_code=NO_SUCH_HER_ID_ERROR_CODE),
            )
        if request.operation is Operation.COMMUNICATION_PARTY_DETAILS:
            return StubReply(200, soap.build_details_response(record.party))
        der = (
            record.encryption_certificate
            if request.operation is Operation.ENCRYPTION_CERTIFICATE
            else record.signature_certificate
        )
        return StubReply(200, soap.build_certificate_response(request.operation, der))


class StubControl:
    """The misbehaviour switch. Only touched from the event loop, so it needs no lock."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.delay_s = 0.0
        self.remaining: int | None = None
        self.answered = 0

    def set(self, command: dict[str, Any]) -> None:
        mode = command.get("mode", "ok")
        delay_s = command.get("delay_s", 0.0)
        count = command.get("count")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if isinstance(delay_s, bool) or not isinstance(delay_s, int | float) or not 0 <= delay_s <= _MAX_DELAY_S:
            raise ValueError(f"delay_s must be a number from 0 to {_MAX_DELAY_S:g}")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise ValueError("count must be a positive integer or null")
        self.mode, self.delay_s, self.remaining = mode, float(delay_s), count

    def next_mode(self) -> tuple[str, float]:
        """The mode for the request now arriving, counting it against ``count``."""
        mode, delay_s = self.mode, self.delay_s
        self.answered += 1
        if self.remaining is not None:
            self.remaining -= 1
            if self.remaining <= 0:
                self.mode, self.delay_s, self.remaining = "ok", 0.0, None
        return mode, delay_s

    def state(self) -> dict[str, Any]:
        return {"mode": self.mode, "delay_s": self.delay_s, "count": self.remaining, "answered": self.answered}


def create_stub_app(data_dir: Path) -> Starlette:
    """The ASGI app; the JSON files are read now, so bad data fails at start-up."""
    register = StubRegister.from_dir(data_dir)
    control = StubControl()

    async def soap_endpoint(request: Request) -> Response:
        mode, delay_s = control.next_mode()
        if mode == "slow":
            await asyncio.sleep(delay_s)
        elif mode == "fail":
            fault = soap.build_fault(sender=False, reason="The server was unable to process the request.")
            return Response(fault, status_code=500, media_type=_XML)
        elif mode == "down":
            return Response(b"Service Unavailable", status_code=503, media_type="text/plain")
        elif mode == "garbage":
            return Response(b"<html><body>Gateway error</body></html>", status_code=200, media_type="text/html")
        reply = register.handle(await request.body(), request.headers.get("soapaction"))
        return Response(reply.body, status_code=reply.status, media_type=reply.content_type)

    async def control_endpoint(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(control.state())
        try:
            command = json.loads(await request.body())
            if not isinstance(command, dict):
                raise ValueError("the body must be a JSON object")
            control.set(command)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(control.state())

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "parties": len(register)})

    app = Starlette(
        routes=[
            Route("/_control", control_endpoint, methods=["GET", "POST"]),
            Route("/_health", health, methods=["GET"]),
            Route("/{path:path}", soap_endpoint, methods=["POST"]),
        ]
    )
    app.state.register = register
    app.state.control = control
    return app


# ---------------------------------------------------------------------------- data files

def load_parties(data_dir: Path) -> dict[int, PartyRecord]:
    """Read every ``*.json`` in ``data_dir``; a bad file is a ConfigurationError naming it."""
    if not data_dir.is_dir():
        raise ConfigurationError("AR_STUB_DATA_INVALID", f"{data_dir} is not a folder")
    parties: dict[int, PartyRecord] = {}
    for path in sorted(data_dir.glob("*.json")):
        try:
            record = _record(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError, KeyError) as exc:
            raise ConfigurationError("AR_STUB_DATA_INVALID", f"{path.name}: {exc}") from None
        her_id = int(record.party.her_id)
        if her_id in parties:
            raise ConfigurationError("AR_STUB_DATA_INVALID", f"{path.name}: HER-id {her_id} appears twice")
        parties[her_id] = record
    if not parties:
        raise ConfigurationError("AR_STUB_DATA_INVALID", f"no *.json communication parties in {data_dir}")
    return parties


def _record(data: Any) -> PartyRecord:
    if not isinstance(data, dict):
        raise TypeError("a communication party must be a JSON object")
    her_id = data["herId"]
    if isinstance(her_id, bool) or not isinstance(her_id, int) or not 0 < her_id < 10**9:
        raise ValueError("herId must be a positive integer of at most 9 digits")
    active = data.get("active", True)
    if not isinstance(active, bool):
        raise TypeError("active must be true or false")
    party = CommunicationParty(
        her_id=str(her_id),
        name=_string(data, "name", required=True) or "",
        type=PartyType(data["type"]),
        active=active,
        organization_number=_string(data, "organizationNumber"),
        parent_her_id=None if data.get("parentHerId") is None else str(int(data["parentHerId"])),
        parent_name=_string(data, "parentName"),
        parent_organization_number=_string(data, "parentOrganizationNumber"),
        electronic_addresses=tuple(
            ElectronicAddress(type_code=str(item["type"]), address=str(item["address"]))
            for item in data.get("electronicAddresses", [])
        ),
        physical_addresses=tuple(
            PhysicalAddress(street=item.get("street"), postal_code=item.get("postalCode"), city=item.get("city"))
            for item in data.get("physicalAddresses", [])
        ),
    )
    return PartyRecord(
        party=party,
        encryption_certificate=_der(data, "encryptionCertificate"),
        signature_certificate=_der(data, "signatureCertificate"),
    )


def _string(data: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} must be a non-empty string")
    return value


def _der(data: dict[str, Any], key: str) -> bytes | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{key} must be a base64 string")
    try:
        # Not checked to be a certificate: the stub must be able to serve garbage for tests.
        return base64.b64decode("".join(value.split()), validate=True)
    except binascii.Error:
        raise ValueError(f"{key} is not base64") from None
