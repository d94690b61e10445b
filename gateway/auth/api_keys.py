"""Static API keys: how they are made, what is stored of them, and how a presented key is checked.

A key is ``ngk_`` + 32 random bytes (``secrets.token_urlsafe``). The settings hold only its
SHA-256. A slow password hash (scrypt, argon2) protects *low-entropy* secrets against guessing
from a stolen hash; a 256-bit random key cannot be guessed whatever the hash costs, so SHA-256
is enough and keeps each request's check in microseconds. The presented key's digest is compared
with every configured digest with :func:`hmac.compare_digest`, so the time taken says nothing
about how much of a digest matched.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.config.security import ApiKeyClient

__all__ = ["KEY_PREFIX", "ApiKeyVerifier", "NewApiKey", "hash_key", "new_api_key"]

KEY_PREFIX = "ngk_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class NewApiKey:
    key: str
    entry: ApiKeyClient


def new_api_key(client_id: str, scopes: Sequence[str], tenants: Sequence[str]) -> NewApiKey:
    """A fresh random key and the settings entry (with its hash) for it."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    entry = ApiKeyClient(client_id=client_id, key_sha256=hash_key(key), scopes=list(scopes), tenants=list(tenants))
    return NewApiKey(key, entry)


class ApiKeyVerifier:
    def __init__(self, clients: Sequence[ApiKeyClient]) -> None:
        self._clients = [(bytes.fromhex(client.key_sha256), client) for client in clients]

    def __bool__(self) -> bool:
        return bool(self._clients)

    def verify(self, key: str) -> ApiKeyClient | None:
        """The client whose key this is, or None."""
        digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()
        found: ApiKeyClient | None = None
        for expected, client in self._clients:  # no early exit: every digest is compared
            if hmac.compare_digest(digest, expected) and found is None:
                found = client
        return found
