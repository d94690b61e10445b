"""The NHN address register (AR): SOAP client, TTL cache and a stand-in server.

Wiring, in production::

    client = AddressRegisterClient.create(endpoint, timeout_s=..., username=..., password=...)
    register: AddressRegister = CachingAddressRegister(client, ttl_s=3600, negative_ttl_s=60)

The stand-in server lives in :mod:`adapters.outbound.address_register.stub_server` and is not
imported here, so the gateway does not load the server framework just to look up a receiver.
"""

from __future__ import annotations

from adapters.outbound.address_register.cache import CacheStats, CachingAddressRegister
from adapters.outbound.address_register.client import DEFAULT_RETRY, AddressRegisterClient, RetryPolicy

__all__ = ["DEFAULT_RETRY", "AddressRegisterClient", "CacheStats", "CachingAddressRegister", "RetryPolicy"]
