"""HTTP transport: POST the signed message to the receiver's endpoint.

The request carries ``X-Message-Id`` (the MsgHead MsgId) and ``X-Receiver-Her-Id``; a receiver
keyed on the message id makes a repeated delivery harmless. Answers:

- 2xx: delivered;
- 409: the receiver already has this message id: delivered (an earlier attempt got through but its
  answer was lost, e.g. the gateway crashed before recording it);
- 5xx, 408, 429, connection errors and timeouts: :class:`~gateway.primitives.errors.ReceiverUnavailable`, the
  outbox tries again later;
- any other 4xx: the receiver refuses the message for good: :class:`~gateway.primitives.errors.Unprocessable`
  ``TRANSPORT_REFUSED_<status>``; the outbox marks it failed.
"""

from __future__ import annotations

from typing import Final

import httpx

from gateway.primitives.errors import ConfigurationError, ReceiverUnavailable, Unprocessable

__all__ = ["HttpTransport"]

_RETRY_STATUSES: Final = frozenset({408, 425, 429})


class HttpTransport:
    """Implements :class:`~gateway.ports.outbound.Transport`. ``url`` may contain ``{her_id}``,
    replaced by the receiver's HER-id."""

    def __init__(self, url: str, *, timeout_s: float = 30.0, transport: httpx.BaseTransport | None = None,
                 content_type: str = "application/xml") -> None:
        parsed = httpx.URL(url.replace("{her_id}", "0"))
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ConfigurationError("TRANSPORT_URL_INVALID", "the delivery URL must be an http(s) URL")
        self._url = url
        self._content_type = content_type  # application/pkcs7-mime when the body is CMS enveloped data
        self._http = httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=False, transport=transport)

    def deliver(self, message_id: str, receiver_her_id: str, payload: bytes) -> None:
        url = self._url.replace("{her_id}", receiver_her_id)
        headers = {"content-type": self._content_type, "x-message-id": message_id,
                   "x-receiver-her-id": receiver_her_id}
        try:
            response = self._http.post(url, content=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise ReceiverUnavailable("RECEIVER_UNREACHABLE", f"{type(exc).__name__} talking to the receiver",
                                      message_id=message_id, her_id=receiver_her_id) from None
        status = response.status_code
        if 200 <= status < 300 or status == 409:
            return
        if status >= 500 or status in _RETRY_STATUSES:
            raise ReceiverUnavailable(f"RECEIVER_HTTP_{status}", f"the receiver answered HTTP {status}",
                                      message_id=message_id, her_id=receiver_her_id)
        raise Unprocessable(f"TRANSPORT_REFUSED_{status}", f"the receiver refused the message with HTTP {status}",
                            message_id=message_id, her_id=receiver_her_id)

    def close(self) -> None:
        self._http.close()
