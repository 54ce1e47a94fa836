"""Lua 5.3 behaviour a Wippy program could notice, pinned on our Lua 5.4 engine
(docs/lua-types.md "Lua 5.3 and 5.4"): number formatting, `//`, string coercions."""
from __future__ import annotations

import asyncio

import pytest

from tests.lua_helpers import run_lua


def lua(expr: str):
    result = asyncio.run(run_lua(f"return {expr}", method=""))
    assert not result.raised, result.error
    return result.values


@pytest.mark.parametrize("expr, expected", [
    ("tostring(3.0), tostring(3), tostring(-0.0)", ["3.0", "3", "-0.0"]),
    ("tostring(1e15), tostring(2^53), tostring(1/3)", ["1e+15", "9.007199254741e+15", "0.33333333333333"]),
    ("7 // 2, math.type(7 // 2), 7.0 // 2, -7 // 2, 7 % -3", [3, "integer", 3.0, -4, -2]),
    ("10 / 2, math.type(10 / 2), math.type(math.floor(3.5))", [5.0, "float", "integer"]),
    ('"10" + 1, math.type("10" + 1), "3.0" + 1, "0x10" * 1', [11, "integer", 4.0, 16]),
    ('"10" .. 1, 1 .. "", 1.5 .. ""', ["101", "1", "1.5"]),
    ('"3" & 1, "6" | 1, "5" ~ 1, "1" << 4, "16" >> "2", ~"0"', [1, 7, 4, 16, 4, -1]),
    ('"2.0" & 3', [2]),
    ('math.maxinteger + 1 == math.mininteger, string.format("%d", 3.0)', [True, "3"]),
])
def test_numbers_and_coercions_behave_as_in_lua_53(expr, expected):
    assert lua(expr) == expected


@pytest.mark.parametrize("expr, message", [
    ('"abc" & 1', "attempt to perform bitwise operation on a string value"),
    ('"1.5" | 0', "number has no integer representation"),
    ("1.5 | 0", "number has no integer representation"),
])
def test_bad_bitwise_operands_fail_as_in_lua_53(expr, message):
    result = asyncio.run(run_lua(f"local x = 1\nreturn {expr}", method=""))
    assert result.raised and message in str(result.error)
    assert str(result.error).startswith("test:fn:2:")
