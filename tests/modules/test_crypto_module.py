"""The `crypto` module: random values, HMAC, AEAD round trips and tampering, JWT, compare."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from tests.modules.lua import values

HEX = ("local function hex(s) return (s:gsub('.', function(c) "
       "return string.format('%02x', c:byte()) end)) end\n")
M = ["crypto"]


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_random_bytes_strings_and_uuids():
    n, distinct, s, hexstr, uid = values("""
        local a = crypto.random.bytes(32)
        local b = crypto.random.bytes(32)
        return #a, a ~= b, crypto.random.string(40), crypto.random.string(64, "0123456789abcdef"),
               crypto.random.uuid()
    """, modules=M)
    assert n == 32 and distinct is True
    assert len(s) == 40 and s.isalnum()
    assert len(hexstr) == 64 and set(hexstr) <= set("0123456789abcdef")
    assert len(uid) == 36 and uid[14] == "4"


@pytest.mark.parametrize("call", ["crypto.random.bytes(0)", "crypto.random.bytes(1048577)",
                                  "crypto.random.string(0)", "crypto.random.bytes('x')"])
def test_random_length_is_bounded(call):
    value, err = values(f"return {call}", modules=M)
    assert value is None and err.kind == "Invalid" and "invalid length" in err.message


def test_hmac_hex_matches_stdlib():
    a, b = values('return crypto.hmac.sha256("key", "data"), crypto.hmac.sha512("key", "data")',
                  modules=M)
    assert a == hmac.new(b"key", b"data", "sha256").hexdigest()
    assert b == hmac.new(b"key", b"data", "sha512").hexdigest()
    value, err = values('return crypto.hmac.sha256("", "data")', modules=M)
    assert value is None and err.kind == "Invalid" and "key must not be empty" in err.message


@pytest.mark.parametrize("name, key_len", [("aes", 16), ("aes", 24), ("aes", 32), ("chacha20", 32)])
def test_aead_round_trip_interoperates_with_cryptography(name, key_len):
    key = bytes(range(key_len))
    key_lua = "".join(f"\\{b}" for b in key)
    blob_hex, back, with_aad, wrong_aad, tampered = values(HEX + f"""
        local key = "{key_lua}"
        local data = "secret \\0\\255 payload"
        local blob = crypto.encrypt.{name}(data, key)
        local blob2 = crypto.encrypt.{name}(data, key, "ctx")
        local _, e1 = crypto.decrypt.{name}(blob2, key, "other")
        local bad = blob:sub(1, -2) .. string.char((blob:byte(-1) + 1) % 256)
        local _, e2 = crypto.decrypt.{name}(bad, key)
        return hex(blob), crypto.decrypt.{name}(blob, key) == data,
               crypto.decrypt.{name}(blob2, key, "ctx") == data, e1, e2
    """, modules=M)
    blob = bytes.fromhex(blob_hex)
    cipher = AESGCM(key) if name == "aes" else ChaCha20Poly1305(key)
    assert cipher.decrypt(blob[:12], blob[12:], None) == b"secret \x00\xff payload"
    assert back is True and with_aad is True
    for err in (wrong_aad, tampered):
        assert err.kind == "Internal" and "decryption failed" in err.message


@pytest.mark.parametrize("call, needle", [
    ('crypto.encrypt.aes("d", "short")', "invalid key size"),
    ('crypto.encrypt.chacha20("d", string.rep("k", 16))', "invalid key size"),
    ('crypto.encrypt.aes("d", "")', "key must not be empty"),
    ('crypto.decrypt.aes("d", string.rep("k", 16))', "decryption failed"),
])
def test_aead_key_and_input_errors(call, needle):
    value, err = values(f"return {call}", modules=M)
    assert value is None and needle in err.message


def test_jwt_hs256_encode_verify_and_header():
    exp = int(time.time()) + 3600
    token, claims = values(f"""
        local t = crypto.jwt.encode({{sub = "u1", exp = {exp}, _header = {{kid = "k1", alg = "none"}}}}, "s3cret")
        return t, crypto.jwt.verify(t, "s3cret")
    """, modules=M)
    head, body, sig = token.split(".")
    assert json.loads(unb64(head)) == {"alg": "HS256", "kid": "k1", "typ": "JWT"}
    assert json.loads(unb64(body)) == {"exp": exp, "sub": "u1"}
    assert unb64(sig) == hmac.new(b"s3cret", f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert claims == {"sub": "u1", "exp": exp}


@pytest.mark.parametrize("setup, needle", [
    ('crypto.jwt.encode({sub = "x", exp = os.time() - 10}, "k"), "k"', "token is expired"),
    ('crypto.jwt.encode({sub = "x"}, "k"), "k"', "exp claim is required"),
    ('crypto.jwt.encode({sub = "x", exp = os.time() + 60}, "k"), "other"', "signature is invalid"),
    ('crypto.jwt.encode({exp = os.time() + 60}, "k", "HS512"), "k", "HS256"', "signing method HS512 is invalid"),
    ('crypto.jwt.encode({exp = os.time() + 60, nbf = os.time() + 60}, "k"), "k"', "not valid yet"),
    ('"a.b", "k"', "malformed"),
])
def test_jwt_verify_failures_are_internal(setup, needle):
    value, err = values(f"return crypto.jwt.verify({setup})", modules=M)
    assert value is None and err.kind == "Internal" and needle in err.message


def test_jwt_require_exp_false_allows_missing_exp_but_checks_present_one():
    ok, expired = values("""
        local t = crypto.jwt.encode({sub = "x"}, "k", "HS384")
        local old = crypto.jwt.encode({exp = os.time() - 5}, "k")
        local _, err = crypto.jwt.verify(old, "k", "HS256", false)
        return crypto.jwt.verify(t, "k", "HS384", false), err
    """, modules=M)
    assert ok == {"sub": "x"} and "expired" in expired.message


def test_jwt_rs256_with_pem_keys():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    priv = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()
    pub = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    token, claims, bad = values(f"""
        local priv, pub = [[{priv}]], [[{pub}]]
        local t = crypto.jwt.encode({{sub = "rsa", exp = os.time() + 60}}, priv, "RS256")
        local _, err = crypto.jwt.verify(t, "not a pem", "RS256")
        return t, crypto.jwt.verify(t, pub, "RS256"), err
    """, modules=M)
    head, body, sig = token.split(".")
    key.public_key().verify(unb64(sig), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    assert claims["sub"] == "rsa"
    assert bad.kind == "Invalid" and "invalid RSA public key" in bad.message


def test_jwt_unknown_algorithm_on_encode_falls_back_to_hs256():
    token = values('return crypto.jwt.encode({a = 1}, "k", "XX999")', modules=M)[0]
    assert json.loads(unb64(token.split(".")[0]))["alg"] == "HS256"


def test_pbkdf2_and_constant_time_compare():
    key_hex, same, differ, lengths, non_string = values(HEX + """
        return hex(crypto.pbkdf2("pw", "salt", 500, 24, "sha512")),
               crypto.constant_time_compare("abc", "abc"), crypto.constant_time_compare("abc", "abd"),
               crypto.constant_time_compare("abc", "abcd"), crypto.constant_time_compare("abc", nil)
    """, modules=M)
    assert key_hex == hashlib.pbkdf2_hmac("sha512", b"pw", b"salt", 500, 24).hex()
    assert (same, differ, lengths, non_string) == (True, False, False, False)
