"""Test keys and signed tokens: an RSA and an EC issuer, written as a PEM file and a JWKS file."""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

__all__ = ["AUDIENCE", "HELSEID", "MASKINPORTEN", "Keys", "keys", "sign", "write_issuers"]

HELSEID = "https://helseid-sts.test"          # RS256, keys in a PEM file
MASKINPORTEN = "https://maskinporten.test"    # ES256 (and RS256), keys in a JWKS file, chosen by kid
AUDIENCE = "nordgate"


@dataclass(frozen=True)
class Keys:
    rsa: rsa.RSAPrivateKey
    ec: ec.EllipticCurvePrivateKey
    other_rsa: rsa.RSAPrivateKey


@functools.cache
def keys() -> Keys:
    return Keys(rsa.generate_private_key(public_exponent=65537, key_size=2048),
                ec.generate_private_key(ec.SECP256R1()),
                rsa.generate_private_key(public_exponent=65537, key_size=2048))


def _public_pem(key: Any) -> bytes:
    return bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo))


def write_issuers(folder: Path) -> list[dict[str, Any]]:
    """The ``jwt_issuers`` setting for the two test issuers, with their key files in ``folder``."""
    pem = folder / "helseid.pem"
    pem.write_bytes(_public_pem(keys().rsa))
    ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(keys().ec.public_key()))
    rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(keys().rsa.public_key()))
    jwks = folder / "maskinporten-jwks.json"
    jwks.write_text(json.dumps({"keys": [{**ec_jwk, "kid": "ec-1", "use": "sig", "alg": "ES256"},
                                         {**rsa_jwk, "kid": "rsa-1", "use": "sig", "alg": "RS256"}]}))
    return [{"issuer": HELSEID, "audience": AUDIENCE, "public_keys": str(pem)},
            {"issuer": MASKINPORTEN, "audience": AUDIENCE, "jwks_file": str(jwks)}]


def sign(*, key: Any = None, alg: str = "RS256", kid: str | None = None, issuer: str = HELSEID,
         audience: str = AUDIENCE, client_id: str = "helseid-client", scope: str | None = "fhir:read",
         lifetime: int = 300, **claims: Any) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {"iss": issuer, "aud": audience, "client_id": client_id, "iat": now,
                               "exp": now + lifetime, "nbf": now}
    if scope is not None:
        payload["scope"] = scope
    payload.update(claims)
    payload = {name: value for name, value in payload.items() if value is not None}
    headers = {"kid": kid} if kid else None
    signing_key = key if key is not None else (keys().ec if alg == "ES256" else keys().rsa)
    return jwt.encode(payload, signing_key, algorithm=alg, headers=headers)
