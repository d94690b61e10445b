"""Signed JWT access tokens (HelseID, Maskinporten, an own authorization server), checked with PyJWT.

Only RS256 and ES256 are accepted: ``none`` and the HMAC family are refused before any key is
touched (with HS256 a public key used as an HMAC secret would let anyone sign), and nothing else
is needed by the Norwegian and Swedish identity providers. The issuer is chosen by the token's
``iss`` among the configured ones, its key by ``kid`` (JWKS) or by trying the configured PEM keys
of the right type; then PyJWT checks signature, ``exp`` (required), ``nbf``, ``iat``, issuer and
audience with a small leeway, and :func:`_sane_lifetime` refuses tokens valid for implausibly long.

Keys are read from files once, when the app is built: a missing or unreadable file stops start-up.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from cryptography.x509 import load_pem_x509_certificate

from gateway.config.security import JwtIssuer
from gateway.primitives.errors import ConfigurationError

__all__ = ["ALLOWED_ALGORITHMS", "JwtClaims", "JwtVerifier", "TokenRefused"]

ALLOWED_ALGORITHMS = ("RS256", "ES256")
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


class TokenRefused(Exception):
    """Why a token is not accepted: a stable code and a text safe to send back (never the token)."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


@dataclass(frozen=True, slots=True)
class JwtClaims:
    client_id: str
    scopes: frozenset[str]
    issuer: str


@dataclass(frozen=True, slots=True)
class _Key:
    kid: str | None
    key: PublicKey


def _fits(key: PublicKey, algorithm: str) -> bool:
    if algorithm == "RS256":
        return isinstance(key, rsa.RSAPublicKey)
    return isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)


def _pem_keys(path: Path) -> list[_Key]:
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError("JWT_KEYS_UNREADABLE", f"cannot read JWT public keys {path}: {exc.strerror}") from None
    keys: list[_Key] = []
    for block in text.split(b"-----END ")[:-1]:
        start = block.find(b"-----BEGIN ")
        kind = block[start + 11:block.find(b"-----", start + 11)]
        pem = block[start:] + b"-----END " + kind + b"-----\n"
        try:
            loaded: Any = (load_pem_x509_certificate(pem).public_key() if kind == b"CERTIFICATE"
                           else load_pem_public_key(pem))
        except ValueError:
            raise ConfigurationError("JWT_KEYS_INVALID", f"{path}: a {kind.decode(errors='replace')} block is "
                                     "not a readable public key or certificate") from None
        if isinstance(loaded, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            keys.append(_Key(None, loaded))
    if not keys:
        raise ConfigurationError("JWT_KEYS_INVALID", f"{path} holds no RSA or EC public key")
    return keys


def _jwks_keys(path: Path) -> list[_Key]:
    try:
        document = orjson.loads(path.read_bytes())
        key_set = jwt.PyJWKSet.from_dict(document)
    except OSError as exc:
        raise ConfigurationError("JWT_KEYS_UNREADABLE", f"cannot read JWKS {path}: {exc.strerror}") from None
    except (orjson.JSONDecodeError, jwt.PyJWTError, AttributeError) as exc:
        raise ConfigurationError("JWT_KEYS_INVALID", f"{path} is not a usable JWKS: {type(exc).__name__}") from None
    keys = [_Key(item.key_id, item.key) for item in key_set.keys
            if isinstance(item.key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)]
    if not keys:
        raise ConfigurationError("JWT_KEYS_INVALID", f"{path} holds no RSA or EC public key")
    return keys


class _Issuer:
    def __init__(self, config: JwtIssuer) -> None:
        self.config = config
        self.from_jwks = config.jwks_file is not None
        self.keys = _jwks_keys(config.jwks_file) if config.jwks_file else _pem_keys(config.public_keys or Path())

    def candidates(self, kid: object, algorithm: str) -> list[PublicKey]:
        if self.from_jwks and (kid is not None or len(self.keys) > 1):
            # A JWKS key is chosen by its kid, never by trying them all.
            chosen = [key.key for key in self.keys if key.kid is not None and key.kid == kid]
        else:
            chosen = [key.key for key in self.keys]
        fitting = [key for key in chosen if _fits(key, algorithm)]
        if not fitting:
            raise TokenRefused("TOKEN_KEY_UNKNOWN", "no configured key of the issuer fits the token's kid and alg")
        return fitting


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    scope = claims.get("scope")
    if isinstance(scope, str):
        return frozenset(scope.split())
    scp = claims.get("scp")
    if isinstance(scp, list) and all(isinstance(item, str) for item in scp):
        return frozenset(scp)
    if isinstance(scp, str):
        return frozenset(scp.split())
    return frozenset()


def _sane_lifetime(claims: dict[str, Any], config: JwtIssuer, now: float) -> None:
    exp = claims["exp"]  # PyJWT has checked it is a number in the future
    iat = claims.get("iat")
    start = iat if isinstance(iat, int | float) else now
    if exp - start > config.max_lifetime_s:
        raise TokenRefused("TOKEN_CLAIMS_INVALID", f"token lifetime over {config.max_lifetime_s} s")


_REFUSALS: tuple[tuple[type[Exception], str, str], ...] = (
    (jwt.ExpiredSignatureError, "TOKEN_EXPIRED", "token expired"),
    (jwt.ImmatureSignatureError, "TOKEN_NOT_YET_VALID", "token not yet valid (nbf/iat in the future)"),
    (jwt.InvalidAudienceError, "TOKEN_AUDIENCE_INVALID", "token is not for this audience"),
    (jwt.InvalidIssuerError, "TOKEN_ISSUER_UNKNOWN", "token issuer is not trusted"),
    (jwt.MissingRequiredClaimError, "TOKEN_CLAIMS_INVALID", "token lacks a required claim (exp, iss, aud)"),
    (jwt.InvalidSignatureError, "TOKEN_SIGNATURE_INVALID", "token signature does not verify"),
    (jwt.InvalidKeyError, "TOKEN_KEY_UNKNOWN", "token key is not usable"),
    (jwt.PyJWTError, "TOKEN_INVALID", "token is not valid"),
)


def _refusal(exc: Exception) -> TokenRefused:
    for kind, code, text in _REFUSALS:
        if isinstance(exc, kind):
            return TokenRefused(code, text)
    return TokenRefused("TOKEN_INVALID", "token is not valid")  # pragma: no cover


class JwtVerifier:
    def __init__(self, issuers: Sequence[JwtIssuer]) -> None:
        self._issuers = {config.issuer: _Issuer(config) for config in issuers}

    def __bool__(self) -> bool:
        return bool(self._issuers)

    def verify(self, token: str) -> JwtClaims:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise TokenRefused("TOKEN_MALFORMED", "token is not a well-formed JWT") from None
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise TokenRefused("TOKEN_ALGORITHM_REFUSED", f"token alg must be one of {', '.join(ALLOWED_ALGORITHMS)}")
        named = unverified.get("iss")
        issuer = self._issuers.get(named) if isinstance(named, str) else None
        if issuer is None:
            raise TokenRefused("TOKEN_ISSUER_UNKNOWN", "token issuer is not trusted")
        config = issuer.config
        last: Exception | None = None
        for key in issuer.candidates(header.get("kid"), algorithm):
            try:
                claims: dict[str, Any] = jwt.decode(
                    token, key, algorithms=[algorithm], audience=config.audience, issuer=config.issuer,
                    leeway=config.leeway_s,
                    options={"require": ["exp", "iss", "aud"], "enforce_minimum_key_length": True})
                break
            except jwt.InvalidSignatureError as exc:  # another configured key may have signed it
                last = exc
            except jwt.PyJWTError as exc:
                raise _refusal(exc) from None
        else:
            raise _refusal(last or jwt.InvalidSignatureError())
        _sane_lifetime(claims, config, time.time())
        client = next((claims[name] for name in (config.client_claim, "azp", "sub")
                       if isinstance(claims.get(name), str) and claims[name]), None)
        if client is None:
            raise TokenRefused("TOKEN_CLAIMS_INVALID", f"token names no client ({config.client_claim}, azp or sub)")
        return JwtClaims(client, _scopes(claims), config.issuer)
