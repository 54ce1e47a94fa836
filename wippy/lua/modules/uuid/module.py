"""The `uuid` Lua module: v1/v3/v4/v5/v7 generation, validation and inspection.

Parsing follows Google's Go uuid.Parse (used by Wippy): canonical 36-char form,
`urn:uuid:` prefix, `{...}` braces, or 32 hex digits, any letter case.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import threading
import time

from ....errors import INVALID, WippyError
from ....common.ids import uuid4
from ..base import LuaModule

_HEX32 = re.compile(r"[0-9a-fA-F]{32}")
_GREGORIAN_OFFSET = 0x01B21DD213814000     # 100 ns intervals from 1582-10-15 to 1970-01-01
_lock = threading.Lock()
_v1_last = 0
_v7_last = 0
# RFC 4122 section 4.5: a random node id with the multicast bit set, not a MAC address.
_NODE = int.from_bytes(secrets.token_bytes(6), "big") | 0x010000000000
_CLOCK_SEQ = secrets.randbits(14)


def parse(text: str) -> bytes | None:
    """The 16 bytes of a UUID string, or None if it is not one."""
    n = len(text)
    if n == 45:
        if text[:9].lower() != "urn:uuid:":
            return None
        text = text[9:]
    elif n == 38:
        if text[0] != "{" or text[-1] != "}":
            return None
        text = text[1:-1]
    elif n == 32:
        return bytes.fromhex(text) if _HEX32.fullmatch(text) else None
    elif n != 36:
        return None
    if text[8] != "-" or text[13] != "-" or text[18] != "-" or text[23] != "-":
        return None
    digits = text[:8] + text[9:13] + text[14:18] + text[19:23] + text[24:]
    return bytes.fromhex(digits) if _HEX32.fullmatch(digits) else None


def canonical(raw: bytes) -> str:
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _stamp(raw: bytearray, version: int) -> str:
    raw[6] = (raw[6] & 0x0F) | (version << 4)
    raw[8] = (raw[8] & 0x3F) | 0x80          # RFC 4122 variant
    return canonical(bytes(raw))


def v1() -> str:
    global _v1_last
    with _lock:
        ts = time.time_ns() // 100 + _GREGORIAN_OFFSET
        ts = max(ts, _v1_last + 1)            # strictly increasing within this process
        _v1_last = ts
    raw = bytearray(16)
    raw[0:4] = (ts & 0xFFFFFFFF).to_bytes(4, "big")
    raw[4:6] = ((ts >> 32) & 0xFFFF).to_bytes(2, "big")
    raw[6:8] = ((ts >> 48) & 0x0FFF).to_bytes(2, "big")
    raw[8:10] = _CLOCK_SEQ.to_bytes(2, "big")
    raw[10:16] = _NODE.to_bytes(6, "big")
    return _stamp(raw, 1)


v4 = uuid4


def v7() -> str:
    """Unix milliseconds, then 12 bits of sub-millisecond time kept monotonic (as Go's NewV7)."""
    global _v7_last
    nano = time.time_ns()
    ms = nano // 1_000_000
    now = (ms << 12) + ((nano - ms * 1_000_000) >> 8)
    with _lock:
        now = max(now, _v7_last + 1)
        _v7_last = now
    raw = bytearray((now >> 12).to_bytes(6, "big") + (now & 0x0FFF).to_bytes(2, "big")
                    + os.urandom(8))
    return _stamp(raw, 7)


def named(version: int, namespace: bytes, name: str) -> str:
    data = namespace + name.encode("utf-8", "surrogateescape")
    digest = hashlib.md5(data).digest() if version == 3 else hashlib.sha1(data).digest()
    return _stamp(bytearray(digest[:16]), version)


def variant(raw: bytes) -> str:
    b = raw[8]
    if b & 0xC0 == 0x80:
        return "RFC4122"
    if b & 0xE0 == 0xC0:
        return "Microsoft"
    if b & 0xE0 == 0xE0:
        return "Future"
    return "Reserved"


def unix_seconds(raw: bytes) -> int | None:
    """Creation time (whole Unix seconds) of a v1 or v7 UUID."""
    version = raw[6] >> 4
    if version == 1:
        ts = (int.from_bytes(raw[0:4], "big") | int.from_bytes(raw[4:6], "big") << 32
              | (int.from_bytes(raw[6:8], "big") & 0x0FFF) << 48)
        delta = ts - _GREGORIAN_OFFSET
        return delta // 10_000_000 if delta >= 0 else -(-delta // 10_000_000)
    if version == 7:
        return int.from_bytes(raw[0:6], "big") // 1000
    return None


def _invalid(message: str) -> WippyError:
    return WippyError(message, INVALID, retryable=False)


def _require(value: object) -> bytes:
    if not isinstance(value, str):
        raise _invalid("input must be a string")
    raw = parse(value)
    if raw is None:
        raise _invalid("invalid UUID format")
    return raw


class UuidModule(LuaModule):
    name = "uuid"
    effects = ()  # pure: re-running it changes nothing
    lua = """
    return function(host, lib)
        local M = {}
        for _, name in ipairs({"v1", "v3", "v4", "v5", "v7", "validate", "version",
                               "variant", "parse", "format"}) do
            M[name] = host[name]
        end
        return M
    end
    """

    def host_functions(self):
        def make_named(version):
            def generate(call, namespace=None, name=None):
                if not isinstance(namespace, str) or not isinstance(name, str):
                    raise _invalid("namespace and name must be strings")
                raw = parse(namespace)
                if raw is None:
                    raise _invalid("invalid namespace UUID")
                return named(version, raw, name)
            return generate

        def validate(call, value=None):
            return isinstance(value, str) and parse(value) is not None

        def version(call, value=None):
            return _require(value)[6] >> 4

        def variant_of(call, value=None):
            return variant(_require(value))

        def parse_info(call, value=None):
            raw = _require(value)
            info = {"version": raw[6] >> 4, "variant": variant(raw)}
            seconds = unix_seconds(raw)
            if seconds is not None:
                info["timestamp"] = seconds
            if info["version"] == 1:
                info["node"] = raw[10:16].hex()
            return call.to_lua(info)

        def format_uuid(call, value=None, style=None):
            raw = _require(value)
            style = style if isinstance(style, str) else "standard"
            text = canonical(raw)
            if style == "standard":
                return text
            if style == "simple":
                return raw.hex()
            if style == "urn":
                return "urn:uuid:" + text
            raise _invalid("unsupported format")

        return {"v1": lambda call, *_: v1(), "v3": make_named(3), "v4": lambda call, *_: v4(),
                "v5": make_named(5), "v7": lambda call, *_: v7(), "validate": validate,
                "version": version, "variant": variant_of, "parse": parse_info,
                "format": format_uuid}
