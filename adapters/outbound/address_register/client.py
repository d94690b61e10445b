"""The NHN address register client: SOAP over an ``httpx.Client``, with bounded retries.

What it does better than the reference client:
- transient trouble (connect errors, timeouts, HTTP 429/5xx, SOAP *server* faults) is retried a
  bounded number of times with exponential backoff and jitter, inside an overall deadline;
- nothing is swallowed into ``None``: an unknown HER-id is :class:`~gateway.primitives.errors.NotFound`
  ``AR_NO_SUCH_HER_ID`` (never retried), everything else that stops a lookup is
  :class:`~gateway.primitives.errors.RegisterUnavailable` with a code of its own;
- certificates are always parsed, so garbage in the register is refused here, not at signing time.

Response problems are reported as ``RegisterUnavailable`` rather than ``MalformedInput``: the
sender of a settlement batch cannot fix the register's answer, and the same batch may well go
through once the register is sane again. The parser's own refusal stays attached as ``__cause__``.

Error codes: ``AR_NO_SUCH_HER_ID``, ``AR_NO_CERTIFICATE`` (NotFound); ``AR_TIMEOUT``,
``AR_UNAVAILABLE``, ``AR_FAULT``, ``AR_UNAUTHORIZED``, ``AR_HTTP_ERROR``, ``AR_BAD_RESPONSE``,
``AR_HOSTILE_RESPONSE``, ``AR_CERTIFICATE_INVALID`` (RegisterUnavailable); ``HER_ID_INVALID``
(MalformedInput, the caller passed something that is not a HER-id).

Credentials are handed to httpx's basic auth and never appear in a log line, an exception text or
``repr``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final, Self

import httpx
from cryptography import x509
from lxml import etree

from adapters.outbound.address_register import soap
from adapters.outbound.address_register.soap import Operation, SoapFault
from gateway.domain.parties import CommunicationParty
from gateway.primitives.errors import ConfigurationError, MalformedInput, NotFound, PayloadTooLarge, RegisterUnavailable

__all__ = ["DEFAULT_RETRY", "AddressRegisterClient", "RetryPolicy"]

_log = logging.getLogger(__name__)

_HOSTILE_CODES: Final = frozenset({"XML_DTD_FORBIDDEN", "XML_TOO_DEEP"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` tries in all; the n-th retry waits between half and all of
    ``min(max_delay_s, base_delay_s * 2**n)`` ("equal jitter": spread out, never zero)."""

    attempts: int = 3
    base_delay_s: float = 0.2
    max_delay_s: float = 2.0
    deadline_s: float = 20.0  # no retry starts once this much time has gone since the first try

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base_delay_s < 0 or self.max_delay_s < 0 or self.deadline_s <= 0:
            raise ConfigurationError("AR_RETRY_POLICY_INVALID", "retry attempts must be >= 1, delays >= 0")

    def delay(self, retry_number: int, jitter: float) -> float:
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0**retry_number)
        return ceiling / 2 + ceiling / 2 * jitter


DEFAULT_RETRY: Final = RetryPolicy()


@dataclass(frozen=True, slots=True)
class _Transient:
    """One failed attempt that may succeed if tried again."""

    code: str
    detail: str
    cause: BaseException | None = None


class AddressRegisterClient:
    """Implements :class:`gateway.ports.outbound.AddressRegister` against the SOAP service."""

    def __init__(
        self,
        http: httpx.Client,
        endpoint: str,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        owns_http: bool = False,
    ) -> None:
        self._http = http
        self._endpoint = endpoint
        self._retry = retry
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._owns_http = owns_http

    @classmethod
    def create(
        cls,
        endpoint: str,
        *,
        timeout_s: float = 10.0,
        connect_timeout_s: float = 5.0,
        username: str | None = None,
        password: str | None = None,
        password_file: Path | None = None,
        verify: bool | str = True,
        retry: RetryPolicy = DEFAULT_RETRY,
        transport: httpx.BaseTransport | None = None,
    ) -> Self:
        """Build the client and its own ``httpx.Client`` from settings values.

        ``endpoint`` is the full service URL (e.g. ``https://ws-web.test.nhn.no/v1/AR``). Basic auth
        is used when ``username`` is given, with ``password`` or the first line of ``password_file``.
        """
        url = httpx.URL(endpoint)
        if url.scheme not in ("http", "https") or not url.host:
            raise ConfigurationError("AR_ENDPOINT_INVALID", "the AR endpoint must be an http(s) URL")
        if url.userinfo:
            raise ConfigurationError(
                "AR_ENDPOINT_INVALID", "put AR credentials in the username/password settings, not the URL"
            )
        auth = None
        if username is not None:
            secret = password if password is not None else _read_secret(password_file)
            auth = httpx.BasicAuth(username, secret)
        elif password is not None or password_file is not None:
            raise ConfigurationError("AR_CREDENTIALS_INVALID", "an AR password was given without a username")
        http = httpx.Client(
            auth=auth,
            timeout=httpx.Timeout(timeout_s, connect=min(connect_timeout_s, timeout_s)),
            verify=verify,
            follow_redirects=False,
            transport=transport,
        )
        return cls(http, str(url), retry=retry, owns_http=True)

    def __repr__(self) -> str:
        return f"AddressRegisterClient(endpoint={self._endpoint!r})"

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ---------------------------------------------------------------------- the port

    def communication_party(self, her_id: str) -> CommunicationParty:
        number = _her_id(her_id)
        response = self._call(Operation.COMMUNICATION_PARTY_DETAILS, number)
        try:
            return soap.party_from_result(response)
        except MalformedInput as exc:
            raise _bad_response(exc, her_id) from exc

    def encryption_certificate(self, her_id: str) -> bytes:
        return self._certificate(Operation.ENCRYPTION_CERTIFICATE, her_id)

    def signature_certificate(self, her_id: str) -> bytes:
        return self._certificate(Operation.SIGNATURE_CERTIFICATE, her_id)

    def check(self) -> None:
        """One ``Ping`` without retries; raises RegisterUnavailable with the reason."""
        outcome = self._attempt(Operation.PING, None)
        if isinstance(outcome, _Transient):
            raise RegisterUnavailable(outcome.code, f"address register ping failed: {outcome.detail}")

    def ping(self) -> bool:
        """For health checks: True when the register answers a ``Ping`` now (the reason for a
        False is logged; call :meth:`check` to get it as an error)."""
        try:
            self.check()
        except RegisterUnavailable as exc:
            _log.warning("address register ping failed: %s", exc.code)
            return False
        return True

    # ------------------------------------------------------------------------- inside

    def _certificate(self, operation: Operation, her_id: str) -> bytes:
        number = _her_id(her_id)
        response = self._call(operation, number)
        what = "encryption" if operation is Operation.ENCRYPTION_CERTIFICATE else "signature"
        try:
            der = soap.certificate_from_result(response, operation)
        except MalformedInput as exc:
            raise RegisterUnavailable(
                "AR_CERTIFICATE_INVALID", f"the {what} certificate of HER-id {her_id} is not base64",
                her_id=her_id,
            ) from exc
        if der is None:
            raise NotFound(
                "AR_NO_CERTIFICATE", f"HER-id {her_id} has no {what} certificate in the address register",
                her_id=her_id,
            )
        try:
            x509.load_der_x509_certificate(der)
        except ValueError as exc:
            raise RegisterUnavailable(
                "AR_CERTIFICATE_INVALID",
                f"the {what} certificate of HER-id {her_id} in the address register is not a DER X.509 certificate",
                her_id=her_id,
            ) from exc
        return der

    def _call(self, operation: Operation, her_id: int) -> etree._Element:
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            outcome = self._attempt(operation, her_id)
            if not isinstance(outcome, _Transient):
                return outcome
            if attempt >= self._retry.attempts:
                break
            delay = self._retry.delay(attempt - 1, self._jitter())
            if self._clock() - started + delay > self._retry.deadline_s:
                break
            _log.warning(
                "address register %s for HER-id %s failed (%s), retry %d in %.2f s",
                operation.value, her_id, outcome.code, attempt, delay,
            )
            self._sleep(delay)
        raise RegisterUnavailable(
            outcome.code,
            f"address register {operation.value} failed after {attempt} attempt(s): {outcome.detail}",
            her_id=str(her_id),
        ) from outcome.cause

    def _attempt(self, operation: Operation, her_id: int | None) -> etree._Element | _Transient:
        """One request. Returns the response element or a transient failure; raises final ones."""
        shown = None if her_id is None else str(her_id)
        try:
            response = self._http.post(
                self._endpoint,
                content=soap.build_request(operation, her_id),
                headers={
                    "Content-Type": soap.SOAP11_CONTENT_TYPE,
                    "SOAPAction": f'"{soap.soap_action(operation)}"',
                },
            )
        except httpx.TimeoutException as exc:
            return _Transient("AR_TIMEOUT", f"timed out ({type(exc).__name__})", exc)
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            return _Transient("AR_UNAVAILABLE", f"could not connect ({type(exc).__name__})", exc)
        except httpx.HTTPError as exc:
            raise RegisterUnavailable(
                "AR_UNAVAILABLE", f"address register request failed ({type(exc).__name__})", her_id=shown
            ) from exc

        status = response.status_code
        if status in (401, 403):
            raise RegisterUnavailable(
                "AR_UNAUTHORIZED", f"the address register refused our credentials (HTTP {status})", her_id=shown
            )
        if status == 429 or status > 500:
            return _Transient("AR_UNAVAILABLE", f"HTTP {status}")
        if status not in (200, 500):
            raise RegisterUnavailable(
                "AR_HTTP_ERROR", f"the address register answered HTTP {status}", her_id=shown
            )
        try:
            parsed = soap.parse_response(response.content, operation)
        except (MalformedInput, PayloadTooLarge) as exc:
            if status == 500 and exc.code not in _HOSTILE_CODES:
                # A proxy's HTML error page in front of a struggling register.
                return _Transient("AR_UNAVAILABLE", "HTTP 500 without a SOAP fault", exc)
            raise _bad_response(exc, shown) from exc
        if isinstance(parsed, SoapFault):
            return self._fault(parsed, operation, shown)
        if status != 200:
            return _Transient("AR_UNAVAILABLE", f"HTTP {status} without a SOAP fault")
        return parsed

    @staticmethod
    def _fault(fault: SoapFault, operation: Operation, her_id: str | None) -> _Transient:
        if fault.no_such_her_id:
            raise NotFound(
                "AR_NO_SUCH_HER_ID", f"HER-id {her_id} does not exist in the address register", her_id=her_id
            )
        if fault.sender:
            raise RegisterUnavailable(
                "AR_FAULT",
                f"the address register refused {operation.value}: {fault.reason}"
                + (f" ({fault.error_code})" if fault.error_code else ""),
                her_id=her_id,
            )
        return _Transient("AR_FAULT", f"SOAP server fault: {fault.reason}")


def _her_id(value: str) -> int:
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9 or int(text) <= 0:
        raise MalformedInput(
            "HER_ID_INVALID", f"{text[:20]!r} is not a HER-id (1 to 9 digits)", her_id=text[:20]
        )
    return int(text)


def _bad_response(exc: MalformedInput | PayloadTooLarge, her_id: str | None) -> RegisterUnavailable:
    if exc.code in _HOSTILE_CODES:
        return RegisterUnavailable(
            "AR_HOSTILE_RESPONSE", f"the address register's answer was refused ({exc.code})", her_id=her_id
        )
    return RegisterUnavailable(
        "AR_BAD_RESPONSE", f"the address register's answer could not be read ({exc.code})", her_id=her_id
    )


def _read_secret(path: Path | None) -> str:
    if path is None:
        raise ConfigurationError("AR_CREDENTIALS_INVALID", "an AR username was given without a password")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        # The path is configuration, not a secret; the file's content never goes into a message.
        raise ConfigurationError("AR_CREDENTIALS_INVALID", f"cannot read the AR password file {path}") from exc
    if not lines or not lines[0]:
        raise ConfigurationError("AR_CREDENTIALS_INVALID", f"the AR password file {path} is empty")
    return lines[0]
