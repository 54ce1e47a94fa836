"""wippy.lua.modules.json.codec: the Go runtime's JSON rules, shared by the json and http modules."""
from __future__ import annotations

import json
import random

import pytest

from wippy.lua.modules.json import codec as jsonx
from wippy.errors import WippyError


@pytest.mark.parametrize("value, text", [
    (None, "null"), (True, "true"), (False, "false"), (42, "42"), (-7, "-7"),
    ("hi", '"hi"'), ([1, 2, 3], "[1,2,3]"), ([], "[]"), ({}, "{}"),
    ({"b": 1, "a": [True, None]}, '{"a":[true,null],"b":1}'),
    ([3.0, 2.5, -0.0, 1e300, 1e-7, 0.1], "[3,2.5,0,1" + "0" * 300 + ",0.0000001,0.1]"),
    ([float("nan"), float("inf"), float("-inf")], "[null,null,null]"),
    ("<a href='x'>&</a>", '"\\u003ca href=\'x\'\\u003e\\u0026\\u003c/a\\u003e"'),
    ("é日\u2028\u2029", '"é日\\u2028\\u2029"'),
    ("\n\t\r\b\f\x01\"\\", '"\\n\\t\\r\\b\\f\\u0001\\"\\\\"'),
    ({1: "a", 2: "b"}, '["a","b"]'), ({"x": {}}, '{"x":{}}'),
    ({2.5: 1}, '{"2.5":1}'), ({0: "z"}, '{"0":"z"}'), ({True: 1}, '{"true":1}'),
    (b"bytes\xff", '"bytes\ufffd"'), ("lone\udcff", '"lone\ufffd"'),
    (WippyError("boom", "Internal"), '"boom"'), (object(), "null"),
])
def test_encode(value, text):
    assert jsonx.encode(value) == text


@pytest.mark.parametrize("value, text", [
    (3.0, "3"), (2.5, "2.5"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
    (1e-7, "1e-7"), (1.5e-10, "1.5e-10"), (-0.0, "-0"), (float("nan"), "null"),
])
def test_top_level_float_uses_go_shortest_form(value, text):
    assert jsonx.encode(value) == text


@pytest.mark.parametrize("value, message", [
    ({1: "a", "b": 2}, "cannot encode mixed-key table: table has both numeric and non-numeric keys"),
    ({1: "a", 3: "c"}, "cannot encode sparse array: non-contiguous numeric keys found"),
])
def test_encode_rejects_bad_tables(value, message):
    with pytest.raises(ValueError, match=message):
        jsonx.encode(value)


def test_encode_rejects_self_reference_and_depth():
    loop: dict = {}
    loop["self"] = loop
    with pytest.raises(ValueError, match="recursively nested"):
        jsonx.encode(loop)
    deep: list = []
    node = deep
    for _ in range(128):
        node.append([])
        node = node[0]
    with pytest.raises(ValueError, match="maximum nesting depth"):
        jsonx.encode(deep)
    shared = [1]
    assert jsonx.encode([shared, shared]) == "[[1],[1]]"   # repeated, not cyclic


def test_encode_accepts_128_levels():
    deep: list = []
    node = deep
    for _ in range(127):
        node.append([])
        node = node[0]
    assert jsonx.encode(deep) == "[" * 128 + "]" * 128


def test_decode_values():
    assert jsonx.decode('{"a":[1,2.5,null,1e2,-0],"b":{}}') == {"a": [1, 2.5, None, 100.0, 0], "b": {}}
    assert type(jsonx.decode("10")) is int and type(jsonx.decode("1.0")) is float
    assert jsonx.decode(b' "\\u00e9\\ud83d\\ude00" ') == "é😀"
    assert jsonx.decode("9223372036854775807") == 9223372036854775807
    assert jsonx.decode("9223372036854775808") == 9.223372036854776e18
    assert jsonx.decode("[" * 128 + "]" * 128) is not None


@pytest.mark.parametrize("text, fragment", [
    ("", "unexpected end of JSON input"), ("  ", "unexpected end of JSON input"),
    ("NaN", "NaN is not valid JSON"), ("[Infinity]", "Infinity is not valid JSON"),
    ("[1,", "expecting value at line 1 column 4"), ("{'a':1}", "line 1 column 2"),
    ('"\\ud800"', "lone UTF-16 surrogate"), ('{"\\udc00": 1}', "lone UTF-16 surrogate"),
    ("[" * 129 + "]" * 129, "nesting deeper than 128"), (b'"\xff"', "invalid UTF-8"),
    ("1e400", "out of range"), ("1 2", "extra data"), ('"a\nb"', "control character"),
])
def test_decode_errors(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        jsonx.decode(text)


def test_decode_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(ValueError, match="nesting"):
        jsonx.decode("[" * 100_000 + "]" * 100_000)


def test_round_trip_against_stdlib():
    data = {"name": "Zoë", "tags": ["a", "b"], "n": 3, "f": 1.25, "ok": False, "none": None}
    assert json.loads(jsonx.encode(data)) == data
    assert jsonx.decode(jsonx.encode(data)) == data


def test_fast_path_matches_general_encoder():
    rng = random.Random(11)
    scalars = [None, True, False, 0, -5, 2**62, 1.0, -0.0, 0.5, 123.456, 1e-5, 1e-300, 3e15 + 0.5,
               1e300, float("nan"), "", "plain", "é<&>\u2028", "\x00\x1f\"\\"]

    def build(depth):
        roll = rng.random()
        if depth > 4 or roll < 0.4:
            return rng.choice(scalars)
        if roll < 0.7:
            return [build(depth + 1) for _ in range(rng.randint(0, 4))]
        return {rng.choice(["a", "b", "é", "Z", "_", "aa"]) + str(i): build(depth + 1)
                for i in range(rng.randint(0, 4))}

    for _ in range(500):
        value = [build(0)]          # a bare top-level float has its own format
        parts: list[str] = []
        jsonx._encode(value, parts, 0, set())
        slow = "".join(parts)
        for char, escaped in jsonx._HTML.items():
            slow = slow.replace(char, escaped)
        assert jsonx.encode(value) == slow
