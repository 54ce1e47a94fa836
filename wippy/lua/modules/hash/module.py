"""The `hash` Lua module: digests, HMACs, FNV-1 and PBKDF2 (Python's hashlib and hmac).

Digests are lowercase hex unless `raw` is true (then the raw bytes). `fnv32`/`fnv64`
are FNV-1 (multiply, then xor), not FNV-1a, computed in Lua: its integers wrap like
Go's uint64, and a long input stays under the call's budget (the count hook can
stop a Lua loop, not a C call). Lua integers are signed 64-bit, so an `fnv64` value
at or above 2^63 comes back as the negative integer with the same 64 bits
(`string.format("%x", n)` prints the usual hex); `fnv32` always fits.
PBKDF2 (up to 10 million iterations, seconds of CPU) runs on a thread of its own
as an async op, so it never holds the event loop; the call's budget still bounds
the wait.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
from typing import Any, Callable

from ....errors import INVALID, WippyError
from ..base import LuaModule
from ..binary import PRELUDE, to_bytes

MAX_ITERATIONS = 10_000_000
MAX_KEY_LENGTH = 1 << 20      # a derived key is a key, not a bulk output
PBKDF2_HASHES = ("sha256", "sha512")


def _invalid(message: str) -> WippyError:
    return WippyError(message, INVALID, retryable=False)


def pbkdf2(password: Any, p_mapped: Any, salt: Any, s_mapped: Any, iterations: Any,
           key_length: Any, name: Any) -> bytes:
    """Shared by `hash.pbkdf2` and `crypto.pbkdf2` (same rules on both pages)."""
    pw = to_bytes(password, p_mapped, "password")
    sa = to_bytes(salt, s_mapped, "salt")
    if not pw:
        raise _invalid("password must not be empty")
    if not sa:
        raise _invalid("salt must not be empty")
    if not isinstance(iterations, int) or isinstance(iterations, bool) \
            or not 1 <= iterations <= MAX_ITERATIONS:
        raise _invalid(f"iterations must be an integer from 1 to {MAX_ITERATIONS:,}")
    if not isinstance(key_length, int) or isinstance(key_length, bool) \
            or not 1 <= key_length <= MAX_KEY_LENGTH:
        raise _invalid(f"key_length must be an integer from 1 to {MAX_KEY_LENGTH}")
    name = "sha256" if name is None else name
    if name not in PBKDF2_HASHES:
        raise _invalid(f"unsupported hash {name!r} (use \"sha256\" or \"sha512\")")
    return hashlib.pbkdf2_hmac(name, pw, sa, iterations, key_length)


async def pbkdf2_op(call, *args: Any) -> bytes:
    """hashlib's PBKDF2 releases the GIL, so a thread runs it beside the loop."""
    return await asyncio.to_thread(pbkdf2, *args)


def _digest(algo: str) -> Callable[..., Any]:
    def digest(call, data=None, mapped=False, raw=None):
        d = hashlib.new(algo, to_bytes(data, mapped, "data"))
        return d.digest() if raw else d.hexdigest()
    return digest


def _hmac(algo: str) -> Callable[..., Any]:
    def mac(call, data=None, d_mapped=False, secret=None, s_mapped=False, raw=None):
        msg = to_bytes(data, d_mapped, "data")
        key = to_bytes(secret, s_mapped, "secret")
        m = hmac.new(key, msg, algo)
        return m.digest() if raw else m.hexdigest()
    return mac


class HashModule(LuaModule):
    name = "hash"
    effects = ()  # pure: re-running it changes nothing
    lua = PRELUDE + """
    return function(host, lib)
        local M = {}
        for _, name in ipairs({"md5", "sha1", "sha256", "sha512"}) do
            local h = host[name]
            M[name] = function(data, raw) local s, m = bin(data) return h(s, m, raw) end
            local hm = host["hmac_" .. name]
            M["hmac_" .. name] = function(data, secret, raw)
                local d, dm = bin(data)
                local s, sm = bin(secret)
                return hm(d, dm, s, sm, raw)
            end
        end
        local byte, type = string.byte, type
        local function not_string()
            return nil, lib.error("Invalid", "data must be a string", false)
        end
        -- FNV-1: h = h * prime, then h = h xor byte. 64-bit products wrap as in Go.
        function M.fnv32(data)
            if type(data) ~= "string" then return not_string() end
            local h = 0x811C9DC5
            for i = 1, #data do h = ((h * 0x01000193) & 0xFFFFFFFF) ~ byte(data, i) end
            return h
        end
        function M.fnv64(data)
            if type(data) ~= "string" then return not_string() end
            local h = -3750763034362895579      -- 0xcbf29ce484222325 as a signed integer
            for i = 1, #data do h = (h * 0x100000001B3) ~ byte(data, i) end
            return h
        end
        function M.pbkdf2(password, salt, iterations, key_length, hash)
            local p, pm = bin(password)
            local s, sm = bin(salt)
            return lib.await("hash.pbkdf2", p, pm, s, sm, iterations, key_length, hash)
        end
        return M
    end
    """

    def host_functions(self):
        funcs: dict[str, Callable[..., Any]] = {}
        for algo in ("md5", "sha1", "sha256", "sha512"):
            funcs[algo] = _digest(algo)
            funcs["hmac_" + algo] = _hmac(algo)
        return funcs

    def async_ops(self):
        return {"hash.pbkdf2": pbkdf2_op}
