"""Delivery transports of signed settlement messages; each implements
:class:`~gateway.ports.outbound.Transport` and is idempotent per message id.

- :class:`DirectoryTransport`: drops ``<receiver-her-id>/<msg-id>.xml`` in a folder (the default; a
  file-based hand-over to an ebXML/AMQP sender, and the transport of tests and demos);
- :class:`HttpTransport`: POSTs the message with ``X-Message-Id``;
- :class:`EncryptingTransport`: wraps either, encrypting each message for its receiver (CMS).
"""

from __future__ import annotations

from adapters.outbound.transport.directory import DirectoryTransport
from adapters.outbound.transport.encrypting import EncryptingTransport
from adapters.outbound.transport.http import HttpTransport

__all__ = ["DirectoryTransport", "EncryptingTransport", "HttpTransport"]
