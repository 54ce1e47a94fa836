"""AES-GCM and ChaCha20-Poly1305 from `cryptography` (OpenSSL), never hand-written.

The output is nonce || ciphertext || tag, as the Go runtime writes it: a fresh
random 12-byte nonce per message, which `decrypt` reads back from the front.
"""
from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from ....errors import INTERNAL, INVALID, WippyError

NONCE = 12


def _cipher(name: str, key: bytes):
    if not key:
        raise WippyError("key must not be empty", INVALID, retryable=False)
    if name == "aes":
        if len(key) not in (16, 24, 32):
            raise WippyError(f"invalid key size {len(key)}: AES needs 16, 24 or 32 bytes",
                             INVALID, retryable=False)
        return AESGCM(key)
    if len(key) != 32:
        raise WippyError(f"invalid key size {len(key)}: ChaCha20-Poly1305 needs 32 bytes",
                         INVALID, retryable=False)
    return ChaCha20Poly1305(key)


def encrypt(name: str, data: bytes, key: bytes, aad: bytes | None) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + _cipher(name, key).encrypt(nonce, data, aad or None)


def decrypt(name: str, data: bytes, key: bytes, aad: bytes | None) -> bytes:
    cipher = _cipher(name, key)
    if len(data) < NONCE + 16:
        raise WippyError("decryption failed: ciphertext too short", INTERNAL, retryable=False)
    try:
        return cipher.decrypt(data[:NONCE], data[NONCE:], aad or None)
    except InvalidTag:
        # Wrong key, wrong AAD or tampered data: the tag cannot tell which.
        raise WippyError("decryption failed: message authentication failed",
                         INTERNAL, retryable=False) from None
