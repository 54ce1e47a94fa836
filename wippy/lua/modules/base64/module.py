"""The `base64` Lua module: standard RFC 4648 Base64 with padding (Go's StdEncoding).

Decoding is strict like Go's: characters outside the alphabet and bad padding are
errors; only CR and LF are skipped, as Go's decoder does.
"""
from __future__ import annotations

import base64 as _b64
import binascii
import re

from ....errors import INVALID, WippyError
from ..base import LuaModule
from ..binary import PRELUDE, ensure_room, to_bytes

_NEWLINES = re.compile(rb"[\r\n]")
_ALPHABET = re.compile(rb"[A-Za-z0-9+/=]*")


def _invalid(message: str) -> WippyError:
    return WippyError(message, INVALID, retryable=False)


def decode(data: bytes) -> bytes:
    data = _NEWLINES.sub(b"", data)
    bad = _ALPHABET.match(data).end()
    if bad < len(data):
        raise _invalid(f"illegal base64 data at input byte {bad}")
    if len(data) % 4:
        raise _invalid(f"illegal base64 data at input byte {len(data)}: "
                       "corrupted padding (length is not a multiple of 4)")
    pad = data.find(b"=")
    if pad != -1 and (pad < len(data) - 2 or data[pad:] not in (b"=", b"==")):
        raise _invalid(f"illegal base64 data at input byte {pad}: corrupted padding")
    try:
        return _b64.b64decode(data, validate=True)
    except binascii.Error as exc:
        raise _invalid(f"illegal base64 data: {exc}") from None


class Base64Module(LuaModule):
    name = "base64"
    effects = ()  # pure: re-running it changes nothing
    lua = PRELUDE + """
    return function(host, lib)
        local h_encode, h_decode = host.encode, host.decode
        return {
            encode = function(data) return h_encode(bin(data)) end,
            decode = function(data) return h_decode(bin(data)) end,
        }
    end
    """

    def host_functions(self):
        def encode(call, data=None, mapped=False):
            raw = to_bytes(data, mapped)
            ensure_room(call, (len(raw) + 2) // 3 * 4)
            return _b64.b64encode(raw).decode("ascii")

        def decode_(call, data=None, mapped=False):
            out = decode(to_bytes(data, mapped))
            ensure_room(call, len(out))
            return out

        return {"encode": encode, "decode": decode_}
