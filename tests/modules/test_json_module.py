"""The `json` module from Lua: Go-compatible encode/decode rules and error messages."""
from __future__ import annotations

import pytest

from tests.modules.lua import lua, values


@pytest.mark.parametrize("expr, text", [
    ("nil", "null"), ("true", "true"), ("42", "42"), ("3.0", "3"), ("2.5", "2.5"),
    ("1e21", "1e+21"), ("'hi'", '"hi"'), ("{}", "[]"), ("{1, 2, 3}", "[1,2,3]"),
    ("{a = 1}", '{"a":1}'), ("{b = {}, a = {3.0, 0.5, 1e22}}", '{"a":[3,0.5,10000000000000000000000],"b":[]}'),
    ("{x = 0/0, y = math.huge, z = -math.huge}", '{"x":null,"y":null,"z":null}'),
    ("'<b>&</b>'", '"\\u003cb\\u003e\\u0026\\u003c/b\\u003e"'), ("'Zoë 日本'", '"Zoë 日本"'),
    ("{f = print, n = 1}", '{"n":1}'), ("{e = errors.new('boom')}", '{"e":"boom"}'),
    ("{[1] = 'a', [2] = 'b'}", '["a","b"]'), ("{math.maxinteger}", "[9223372036854775807]"),
])
def test_encode(expr, text):
    assert values(f"local s, err = json.encode({expr}) assert(err == nil, tostring(err)) return s",
                  modules=["json"]) == [text]


def test_decoded_empty_object_re_encodes_as_object():
    got = values("""
        local v = json.decode('{"data": {}, "list": [], "nested": {"inner": {}}}')
        return json.encode(v.data), json.encode(v.list), json.encode(v), (json.encode({}))
    """, modules=["json"])
    assert got == ["{}", "[]", '{"data":{},"list":[],"nested":{"inner":{}}}', "[]"]


@pytest.mark.parametrize("setup, message", [
    ("local v = {1, 2, x = 3}", "cannot encode mixed-key table: table has both numeric and non-numeric keys"),
    ("local v = {1, nil, 3}", "cannot encode sparse array: non-contiguous numeric keys found"),
    ("local v = {[1] = 'a', [5] = 'b'}", "cannot encode sparse array"),
    ("local v = {} v.self = v", "cannot encode recursively nested tables to JSON"),
    ("local v = {a = {}} v.a.b = {c = v}", "cannot encode recursively nested tables to JSON"),
    ("local v = {} local n = v for i = 1, 130 do n[1] = {} n = n[1] end",
     "exceeded maximum nesting depth for JSON encoding"),
])
def test_encode_errors(setup, message):
    got = values(f"{setup} local s, err = json.encode(v) return s, err:kind(), err:message(), err:retryable()",
                 modules=["json"])
    assert got[:2] == [None, "Internal"] and got[2].startswith(message) and got[3] is False


def test_encode_accepts_128_levels():
    got = values("local v = {} local n = v for i = 1, 127 do n[1] = {} n = n[1] end "
                 "return (json.encode(v))", modules=["json"])
    assert got == ["[" * 128 + "]" * 128]


def test_decode_types():
    got = values("""
        local v = json.decode([[{"i": 10, "f": 1.5, "e": 1e2, "z": 3.0, "s": "x", "b": false,
                                 "n": null, "a": [1, "two", null, 4]}]])
        return math.type(v.i), math.type(v.f), math.type(v.e), math.type(v.z), v.s, v.b,
               v.n, rawequal(v.n, nil), v.a[1], v.a[2], v.a[3], v.a[4]
    """, modules=["json"])
    assert got == ["integer", "float", "float", "float", "x", False, None, True, 1, "two", None, 4]


def test_decode_scalars_and_null():
    assert values("""
        local a, ea = json.decode('"hi"')
        local b, eb = json.decode("null")
        return a, ea, b, eb, json.decode(" 12 ")
    """, modules=["json"]) == ["hi", None, None, None, 12]


@pytest.mark.parametrize("arg, kind, message", [
    ("42", "Invalid", "string expected"), ("nil", "Invalid", "string expected"),
    ("''", "Invalid", "empty string is not valid JSON"),
    ("'{bad'", "Internal", "decode failed: expecting property name enclosed in double quotes at line 1 column 2"),
    ("'[1,]'", "Internal", "decode failed: "), ("'NaN'", "Internal", "decode failed: NaN is not valid JSON"),
    ("string.rep('[', 200) .. string.rep(']', 200)", "Internal", "decode failed: nesting deeper than 128 levels"),
])
def test_decode_errors(arg, kind, message):
    got = values(f"local v, err = json.decode({arg}) return v, err:kind(), err:message()",
                 modules=["json"])
    assert got[0] is None and got[1] == kind and got[2].startswith(message)


def test_round_trip_preserves_integers():
    got = values("""
        local t = {id = 7, price = 9.5, tags = {"a", "b"}, nested = {ok = true}}
        local back = json.decode(json.encode(t))
        return math.type(back.id), back.price, back.tags[2], back.nested.ok
    """, modules=["json"])
    assert got == ["integer", 9.5, "b", True]
