"""The `hash` module: digests, HMACs, FNV-1, PBKDF2 against Python's reference values."""
from __future__ import annotations

import hashlib
import hmac

import pytest

from tests.modules.lua import values

HEX = "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end\n"
BIN = bytes([0, 255, 128, 97, 98, 99, 200])
BIN_LUA = "".join(f"\\{b}" for b in BIN)


def fnv1(data: bytes, bits: int) -> int:
    basis, prime = (0x811C9DC5, 0x01000193) if bits == 32 else (0xCBF29CE484222325, 0x100000001B3)
    h = basis
    for b in data:
        h = ((h * prime) & ((1 << bits) - 1)) ^ b
    return h


@pytest.mark.parametrize("algo", ["md5", "sha1", "sha256", "sha512"])
def test_digests_hex_and_raw(algo):
    text, raw_hex, bin_hex = values(HEX + f"""
        return hash.{algo}("data"), hex(hash.{algo}("data", true)), hash.{algo}("{BIN_LUA}")
    """, modules=["hash"])
    assert text == hashlib.new(algo, b"data").hexdigest() == raw_hex
    assert bin_hex == hashlib.new(algo, BIN).hexdigest()


@pytest.mark.parametrize("algo", ["md5", "sha1", "sha256", "sha512"])
def test_hmacs(algo):
    text, raw_hex, binary = values(HEX + f"""
        return hash.hmac_{algo}("message", "secret"), hex(hash.hmac_{algo}("message", "secret", true)),
               hash.hmac_{algo}("{BIN_LUA}", "{BIN_LUA}")
    """, modules=["hash"])
    assert text == hmac.new(b"secret", b"message", algo).hexdigest() == raw_hex
    assert binary == hmac.new(BIN, BIN, algo).hexdigest()


def test_fnv1_32_and_64_keep_all_bits():
    n32, n64, hex64, long64 = values(f"""
        local h = hash.fnv64("data")
        return hash.fnv32("data"), h, string.format("%x", h), hash.fnv64(string.rep("{BIN_LUA}", 1000))
    """, modules=["hash"])
    assert n32 == fnv1(b"data", 32)
    assert n64 % (1 << 64) == fnv1(b"data", 64) and int(hex64, 16) == fnv1(b"data", 64)
    assert long64 % (1 << 64) == fnv1(BIN * 1000, 64)


def test_pbkdf2_matches_hashlib():
    k256, k512 = values(HEX + """
        local a = hash.pbkdf2("password", "salt", 1000, 32)
        local b = hash.pbkdf2("password", "salt", 1000, 64, "sha512")
        return hex(a), hex(b)
    """, modules=["hash"])
    assert k256 == hashlib.pbkdf2_hmac("sha256", b"password", b"salt", 1000, 32).hex()
    assert k512 == hashlib.pbkdf2_hmac("sha512", b"password", b"salt", 1000, 64).hex()


@pytest.mark.parametrize("args, needle", [
    ('"", "salt", 1, 16', "password must not be empty"),
    ('"pw", "", 1, 16', "salt must not be empty"),
    ('"pw", "salt", 0, 16', "iterations"),
    ('"pw", "salt", 10000001, 16', "iterations"),
    ('"pw", "salt", 1, 0', "key_length"),
    ('"pw", "salt", 1, 16, "md5"', "unsupported hash"),
    ('42, "salt", 1, 16', "password must be a string"),
])
def test_pbkdf2_refuses_bad_parameters(args, needle):
    value, err = values(f"return hash.pbkdf2({args})", modules=["hash"])
    assert value is None and err.kind == "Invalid" and err.retryable is False
    assert needle in err.message


@pytest.mark.parametrize("call, message", [
    ("hash.sha256(nil)", "data must be a string"),
    ("hash.md5({})", "data must be a string"),
    ('hash.hmac_sha256("m", nil)', "secret must be a string"),
    ('hash.hmac_sha512(1, "k")', "data must be a string"),
    ("hash.fnv32(false)", "data must be a string"),
    ("hash.fnv64(nil)", "data must be a string"),
])
def test_non_string_inputs_are_invalid(call, message):
    value, err = values(f"return {call}", modules=["hash"])
    assert value is None and err.kind == "Invalid" and err.message == message
