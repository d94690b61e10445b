"""The one error tree of nordgate.

Every error carries a stable ``code`` (what clients and tests match on, never the text), an HTTP
status, and the message id / HER-id it concerns when there is one. The tree keeps "the sender must
fix this" apart from "transient, retry later":

    NordgateError
    ├── SenderError                 4xx: reported back, retrying the same input will not help
    │   ├── MalformedInput          400  XML/JSON not well-formed, hostile constructs, wrong shape
    │   ├── Unauthenticated         401  no, a bad or an expired token or API key
    │   ├── Forbidden               403  the client lacks the scope, or acts for another tenant
    │   ├── PayloadTooLarge         413  body over the configured limit
    │   ├── UnsupportedMediaType    415  Content-Type the endpoint does not take
    │   ├── NotFound                404  no such resource (also: another tenant's resource)
    │   ├── Conflict                409  the message contradicts stored state
    │   └── Unprocessable           422  well-formed, but breaks a rule of the contract or domain
    ├── SigningRefused              422  the certificate may not sign this message (kind, validity, …)
    ├── TransientError              503  somebody else is down; the same input will work later
    │   ├── RegisterUnavailable          NHN address register unreachable or faulting
    │   └── ReceiverUnavailable          delivery transport failed
    └── ConfigurationError               start-up refused: settings, mappings, certificates

Codes are upper-case snake words; they are part of the API and never renamed. Every code is listed,
with its status and meaning, in :mod:`gateway.primitives.error_codes`; making an error or an
:class:`Issue` with a code that is not there (or an error whose class has another status than the
code's) raises :class:`~gateway.primitives.error_codes.ErrorCodeMisuse`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.primitives.error_codes import STATUS_OF, check_finding, check_raised

__all__ = [
    "ConfigurationError",
    "Conflict",
    "Forbidden",
    "Issue",
    "MalformedInput",
    "NordgateError",
    "NotAcceptable",
    "NotFound",
    "PayloadTooLarge",
    "ReceiverUnavailable",
    "RegisterUnavailable",
    "SenderError",
    "SigningRefused",
    "TransientError",
    "Unauthenticated",
    "Unprocessable",
    "UnsupportedMediaType",
]


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding inside an error, e.g. one broken element of a message or one refused bill."""

    code: str
    message: str
    location: str | None = None

    def __post_init__(self) -> None:
        if self.code not in STATUS_OF:  # one dict lookup; families and unknown codes take the slow path
            check_finding(self.code)


@dataclass(eq=False)
class NordgateError(Exception):
    code: str
    message: str
    message_id: str | None = None
    her_id: str | None = None
    location: str | None = None
    issues: list[Issue] = field(default_factory=list)

    http_status = 500

    def __post_init__(self) -> None:
        super().__init__(self.message)
        if STATUS_OF.get(self.code) != self.http_status:  # one dict lookup; see error_codes on why it raises
            check_raised(self.code, self.http_status)

    def __str__(self) -> str:
        where = f" at {self.location}" if self.location else ""
        return f"{self.code}: {self.message}{where}"


class SenderError(NordgateError):
    http_status = 400


class MalformedInput(SenderError):
    http_status = 400


class Unauthenticated(SenderError):
    http_status = 401


class Forbidden(SenderError):
    http_status = 403


class PayloadTooLarge(SenderError):
    http_status = 413


class UnsupportedMediaType(SenderError):
    http_status = 415


class NotFound(SenderError):
    http_status = 404


class NotAcceptable(SenderError):
    http_status = 406


class Conflict(SenderError):
    http_status = 409


class Unprocessable(SenderError):
    http_status = 422


class SigningRefused(NordgateError):
    http_status = 422


class TransientError(NordgateError):
    http_status = 503
    #: Seconds a client should wait before sending the same request again (the ``Retry-After`` header).
    retry_after_s = 5


class RegisterUnavailable(TransientError):
    retry_after_s = 30  # the client has already retried inside its own deadline


class ReceiverUnavailable(TransientError):
    pass


class ConfigurationError(NordgateError):
    http_status = 500
