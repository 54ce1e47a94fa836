"""The `base64` module: RFC 4648 standard alphabet with padding, binary-safe, strict decoding."""
from __future__ import annotations

import base64 as pyb64
import os

import pytest

from tests.modules.lua import lua, values

HEX = "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end\n"


def test_documented_examples():
    assert values("""
        local a = base64.encode("Hello, World!")
        local b = base64.decode("SGVsbG8sIFdvcmxkIQ==")
        return a, b, base64.encode(""), base64.decode("")
    """, modules=["base64"]) == ["SGVsbG8sIFdvcmxkIQ==", "Hello, World!", "", ""]


def test_every_byte_value_round_trips():
    raw = bytes(range(256)) + os.urandom(1000)
    lua_bytes = "".join(f"\\{b}" for b in raw)
    encoded, same, hexed = values(HEX + f"""
        local data = "{lua_bytes}"
        local e = base64.encode(data)
        return e, base64.decode(e) == data, hex(base64.decode(e))
    """, modules=["base64"])
    assert encoded == pyb64.b64encode(raw).decode()
    assert same is True and hexed == raw.hex()


@pytest.mark.parametrize("text, needle", [
    ("abc", "corrupted padding"),          # length not a multiple of 4
    ("ab!d", "input byte 2"),              # outside the alphabet
    ("a=bc", "corrupted padding"),         # padding in the middle
    ("YQ===", "corrupted padding"),
    ("YW Jj", "input byte 2"),             # spaces are not skipped (only CR/LF are)
])
def test_bad_input_is_invalid(text, needle):
    value, err = values(f"return base64.decode({text!r})", modules=["base64"])
    assert value is None
    assert err.kind == "Invalid" and err.retryable is False and needle in err.message


def test_line_breaks_are_skipped_like_go():
    assert values('return base64.decode("SGVs\\r\\nbG8=")', modules=["base64"])[0] == "Hello"


@pytest.mark.parametrize("fn", ["encode", "decode"])
@pytest.mark.parametrize("arg", ["nil", "42", "{}", "true"])
def test_non_string_input_is_invalid(fn, arg):
    value, err = values(f"return base64.{fn}({arg})", modules=["base64"])
    assert value is None and err.kind == "Invalid" and err.message == "input must be a string"


def test_huge_input_hits_the_memory_limit_not_the_host():
    """An encoding that would grow past the state's memory limit fails as a Lua error."""
    result = lua("""
        local s = string.rep("x", 40 * 1024 * 1024)
        return #base64.encode(s)
    """, modules=["base64"])
    assert result.error is not None and "memory" in result.error.message.lower()


def test_huge_output_inside_pcall_is_an_error_value_not_a_hang():
    """lupa hangs if the limit is hit while it pushes a returned string inside pcall;
    the module checks the room first and answers nil, err."""
    ok, value, err = values("""
        local s = string.rep("x", 30 * 1024 * 1024)
        local ok, v, err = pcall(base64.encode, s)
        return ok, v, err
    """, modules=["base64"])
    assert ok is True and value is None
    assert err.kind == "Internal" and "not enough memory" in err.message
