"""JWT (RFC 7519) encode and verify: HS256/384/512 with the standard library's HMAC,
RS256 with `cryptography`'s RSA (PKCS#1 v1.5, SHA-256).

Verification restricts the token to the one expected algorithm, checks the
signature before reading any claim, and then validates `exp` and `nbf` when they
are present against the wall clock (no leeway), as golang-jwt v5 does.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ....errors import INTERNAL, INVALID, WippyError
from ..json import codec as jsonx

HMACS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
ALGORITHMS = (*HMACS, "RS256")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _fail(message: str) -> WippyError:
    return WippyError(message, INTERNAL, retryable=False)


def _rsa_private(pem: bytes) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise WippyError("invalid RSA private key: expected an unencrypted PEM key",
                         INVALID, retryable=False) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise WippyError("invalid RSA private key: not an RSA key", INVALID, retryable=False)
    return key


def _rsa_public(pem: bytes) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise WippyError("invalid RSA public key: expected a PEM public key",
                         INVALID, retryable=False) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise WippyError("invalid RSA public key: not an RSA key", INVALID, retryable=False)
    return key


def _sign(alg: str, signing_input: bytes, key: bytes) -> bytes:
    if alg in HMACS:
        return hmac.new(key, signing_input, HMACS[alg]).digest()
    return _rsa_private(key).sign(signing_input, padding.PKCS1v15(), hashes.SHA256())


def encode(payload: dict, key: bytes, alg: Any) -> str:
    # The documented behaviour of this runtime pin: an unknown algorithm is HS256.
    alg = alg if alg in ALGORITHMS else "HS256"
    if not key:
        raise WippyError("key must not be empty", INVALID, retryable=False)
    claims = dict(payload)
    extra = claims.pop("_header", None)
    header = dict(extra) if isinstance(extra, dict) else {}
    header.update({"alg": alg, "typ": header.get("typ", "JWT")})   # alg is never overridable
    try:
        head, body = jsonx.encode(header), jsonx.encode(claims or {})
    except ValueError as exc:
        raise WippyError(f"invalid payload: {exc}", INVALID, retryable=False) from None
    if body == "[]":
        body = "{}"
    signing_input = f"{_b64(head.encode())}.{_b64(body.encode())}".encode("ascii")
    return signing_input.decode("ascii") + "." + _b64(_sign(alg, signing_input, key))


def _verify_signature(alg: str, signing_input: bytes, signature: bytes, key: bytes) -> bool:
    if alg in HMACS:
        return hmac.compare_digest(hmac.new(key, signing_input, HMACS[alg]).digest(), signature)
    try:
        _rsa_public(key).verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        return True
    except InvalidSignature:
        return False


def verify(token: str, key: bytes, alg: Any, require_exp: Any) -> dict:
    alg = "HS256" if alg is None else alg
    if alg not in ALGORITHMS:
        raise WippyError(f"unsupported algorithm {alg!r} (use one of {', '.join(ALGORITHMS)})",
                         INVALID, retryable=False)
    if not key:
        raise WippyError("key must not be empty", INVALID, retryable=False)
    parts = token.split(".")
    if len(parts) != 3:
        raise _fail("token is malformed: token contains an invalid number of segments")
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except (ValueError, UnicodeDecodeError):
        raise _fail("token is malformed: could not base64/JSON-decode a segment") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise _fail("token is malformed: header and claims must be JSON objects")
    if header.get("alg") != alg:
        raise _fail(f"token is unverifiable: signing method {header.get('alg')} is invalid")
    if not _verify_signature(alg, f"{parts[0]}.{parts[1]}".encode("ascii"), signature, key):
        raise _fail("token signature is invalid: signature is invalid")
    _check_times(claims, require_exp is not False)
    return claims


def _number(claims: dict, name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(f"token has invalid claims: {name} claim must be a number")
    return value


def _check_times(claims: dict, require_exp: bool) -> None:
    now = time.time()
    exp = _number(claims, "exp")
    if exp is None and require_exp:
        raise _fail("token has invalid claims: token is missing required claim: exp claim is required")
    if exp is not None and now >= exp:
        raise _fail("token has invalid claims: token is expired")
    nbf = _number(claims, "nbf")
    if nbf is not None and now < nbf:
        raise _fail("token has invalid claims: token is not valid yet")
