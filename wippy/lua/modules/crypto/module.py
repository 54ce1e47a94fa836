"""The `crypto` Lua module: random values, HMAC, AEAD encryption, JWT, PBKDF2, compare.

Crypto primitives come from `cryptography` (AES-GCM, ChaCha20-Poly1305, RSA) and
the standard library (HMAC, PBKDF2, `secrets`); nothing is hand-written here.
Binary arguments cross byte for byte (binary.py); results are raw Lua strings.
"""
from __future__ import annotations

import hmac
import secrets
from typing import Any

from ....errors import INVALID, WippyError
from ....common.ids import uuid4
from ..base import LuaModule
from ..binary import PRELUDE, ensure_room, maybe_bytes, to_bytes
from ..hash.module import pbkdf2_op
from . import aead, jwt

MAX_RANDOM = 1 << 20
ALPHANUMERIC = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _invalid(message: str) -> WippyError:
    return WippyError(message, INVALID, retryable=False)


def _length(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_RANDOM:
        raise _invalid(f"invalid length: must be an integer from 1 to {MAX_RANDOM:,}")
    return n


def random_string(n: Any, charset: bytes | None) -> bytes:
    n = _length(n)
    alphabet = ALPHANUMERIC if charset is None else charset
    if not alphabet:
        raise _invalid("charset must not be empty")
    # Modulo selection, as documented: exactly uniform when len(alphabet) divides 256.
    size = len(alphabet)
    return bytes(alphabet[b % size] for b in secrets.token_bytes(n))


def _mac(algo: str):
    def mac(call, key=None, k_mapped=False, data=None, d_mapped=False):
        k = to_bytes(key, k_mapped, "key")
        if not k:
            raise _invalid("key must not be empty")
        return hmac.new(k, to_bytes(data, d_mapped, "data"), algo).hexdigest()
    return mac


def _aead(direction: str, name: str):
    run = aead.encrypt if direction == "encrypt" else aead.decrypt

    def op(call, data=None, d_mapped=False, key=None, k_mapped=False, aad=None, a_mapped=False):
        plain = to_bytes(data, d_mapped, "data")
        ensure_room(call, len(plain) + aead.NONCE + 16)
        return run(name, plain, to_bytes(key, k_mapped, "key"), maybe_bytes(aad, a_mapped, "aad"))
    return op


class CryptoModule(LuaModule):
    name = "crypto"
    # Random values and encryption (a fresh nonce) differ on each run, but nothing
    # outside the call changes: a re-run is as good as the first run.
    effects = ()
    lua = PRELUDE + """
    return function(host, lib)
        local type = type
        local function three(f)     -- f(data, key, aad?) with binary-safe arguments
            return function(data, key, aad)
                local d, dm = bin(data)
                local k, km = bin(key)
                local a, am = bin(aad)
                return f(d, dm, k, km, a, am)
            end
        end
        local function mac(f)
            return function(key, data)
                local k, km = bin(key)
                local d, dm = bin(data)
                return f(k, km, d, dm)
            end
        end
        local h = host
        return {
            random = {
                bytes = h.random_bytes,
                string = function(n, charset) return h.random_string(n, bin(charset)) end,
                uuid = h.random_uuid,
            },
            hmac = {sha256 = mac(h.hmac_sha256), sha512 = mac(h.hmac_sha512)},
            encrypt = {aes = three(h.encrypt_aes), chacha20 = three(h.encrypt_chacha20)},
            decrypt = {aes = three(h.decrypt_aes), chacha20 = three(h.decrypt_chacha20)},
            jwt = {
                encode = function(payload, key, alg)
                    local k, km = bin(key)
                    return h.jwt_encode(payload, k, km, alg)
                end,
                verify = function(token, key, alg, require_exp)
                    local k, km = bin(key)
                    return h.jwt_verify(token, k, km, alg, require_exp)
                end,
            },
            pbkdf2 = function(password, salt, iterations, key_length, hash)
                local p, pm = bin(password)
                local s, sm = bin(salt)
                return lib.await("crypto.pbkdf2", p, pm, s, sm, iterations, key_length, hash)
            end,
            constant_time_compare = function(a, b)
                if type(a) ~= "string" or type(b) ~= "string" then return false end
                local x, xm = bin(a)
                local y, ym = bin(b)
                return h.compare(x, xm, y, ym)
            end,
        }
    end
    """

    def host_functions(self):
        def random_bytes(call, n=None):
            return secrets.token_bytes(_length(n))

        def random_str(call, n=None, charset=None, mapped=False):
            return random_string(n, maybe_bytes(charset, mapped, "charset"))

        def jwt_encode(call, payload=None, key=None, mapped=False, alg=None):
            plain = call.from_lua(payload) if payload is not None else None
            if not isinstance(plain, dict):
                if plain == []:      # an empty Lua table
                    plain = {}
                else:
                    raise _invalid("payload must be a table")
            return jwt.encode(plain, to_bytes(key, mapped, "key"), alg)

        def jwt_verify(call, token=None, key=None, mapped=False, alg=None, require_exp=None):
            if not isinstance(token, str):
                raise _invalid("token must be a string")
            return call.to_lua(jwt.verify(token, to_bytes(key, mapped, "key"), alg, require_exp))

        def compare(call, a, a_mapped, b, b_mapped):
            return hmac.compare_digest(to_bytes(a, a_mapped), to_bytes(b, b_mapped))

        return {
            "random_bytes": random_bytes, "random_string": random_str,
            "random_uuid": lambda call, *_: uuid4(),
            "hmac_sha256": _mac("sha256"), "hmac_sha512": _mac("sha512"),
            "encrypt_aes": _aead("encrypt", "aes"), "encrypt_chacha20": _aead("encrypt", "chacha20"),
            "decrypt_aes": _aead("decrypt", "aes"), "decrypt_chacha20": _aead("decrypt", "chacha20"),
            "jwt_encode": jwt_encode, "jwt_verify": jwt_verify, "compare": compare,
        }

    def async_ops(self):
        return {"crypto.pbkdf2": pbkdf2_op}
