"""lib.json_text (wippy/lua/modules/json/json_text.lua): JSON written in Lua for common shapes must be
byte-identical to wippy.jsonx.encode, and anything else must be left to Python (nil)."""
from __future__ import annotations

import asyncio
import math
import random

import pytest

from wippy.lua.modules.json import codec as jsonx
from wippy.lua.convert import ConversionError
from wippy.lua.engine import LuaEngine

KEYS = ["a", "b", "id", "Z", "z", "é", "ß", "日本", "😀", "<tag>", "a&b", "x>y", "", "1", "10",
        "2", "quote\"", "back\\slash", "tab\t", "nl\n", "\x00nul", "\x1f", "\x7f", "\u2028",
        "\u2029", "zz\u2028zz", "\ufeff", "A", "aa", "ab"]
STRINGS = KEYS + ["plain text", "HELLO WORLD", "<script>alert(1)</script>", "€ 5", "\x08\x0c",
                  "emoji 😀 and \u2029", "mixed\r\n\t<&>", "a" * 300]


def random_value(rng: random.Random, depth: int = 0):
    kinds = ["str", "int", "float", "bool", "dict", "list", "empty_dict", "empty_list"]
    if depth > 3:
        kinds = kinds[:4]
    kind = rng.choice(kinds)
    if kind == "str":
        return rng.choice(STRINGS)
    if kind == "int":
        return rng.choice([0, 1, -1, 42, 2**31, -2**31, 2**53 + 1, 2**63 - 1, -2**63,
                           rng.randint(-10**6, 10**6)])
    if kind == "float":
        return rng.choice([0.0, -0.0, 1.0, 3.0, -7.0, 2.0**62, 2.0**63, -2.0**63, 1e20, 0.5,
                           3.14159, -2.5e-7, 1e-5, 123456.789, math.inf, -math.inf, math.nan,
                           float(rng.randint(-1000, 1000))])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "empty_dict":
        return {}
    if kind == "empty_list":
        return []
    if kind == "list":
        return [random_value(rng, depth + 1) for _ in range(rng.randint(1, 5))]
    shape = rng.random()
    if shape < 0.8:
        return {rng.choice(KEYS): random_value(rng, depth + 1) for _ in range(rng.randint(1, 6))}
    if shape < 0.9:   # integer keys: an array when 1..n, else sparse
        keys = rng.sample(range(1, 6), rng.randint(1, 4))
        return {k: random_value(rng, depth + 1) for k in keys}
    return {1: "x", "key": random_value(rng, depth + 1)}   # mixed keys


@pytest.fixture(scope="module")
def worker():
    async def start():
        engine = LuaEngine({}, workers=1)
        await engine.start()
        return engine
    loop = asyncio.new_event_loop()
    engine = loop.run_until_complete(start())
    yield engine._inline
    loop.run_until_complete(engine.close())
    loop.close()


def python_text(worker, lua_value):
    try:
        return jsonx.encode(worker.converter.from_lua(lua_value))
    except (ValueError, ConversionError) as exc:
        return f"error: {exc}"


def test_differential_against_jsonx(worker):
    rng = random.Random(20261129)
    fast = 0
    for _ in range(5000):
        value = random_value(rng)
        lua_value = worker.converter.to_lua(value)
        text = worker.api.json_text(lua_value)
        if text is None:
            continue
        fast += 1
        assert text == python_text(worker, lua_value), value
    assert fast > 2500   # most plain shapes stay in Lua


@pytest.mark.parametrize("source", [
    "{1, 2.5}",                                     # a fraction: Go's float rules
    "0.5", "3.0", "1/0", "0/0",                      # top-level floats
    "{x = 0/0}", "{x = 2^63}",
    "{[1] = 'a', [3] = 'b'}", "{[1] = 'a', key = 'b'}", "{[1.5] = 'a'}", "{[true] = 1}",
    "{f = print}", "{print}", "{co = coroutine.create(print)}",
    "'bad \\255 utf8'", "{['bad \\255'] = 1}", "{x = 'bad \\237\\160\\128 surrogate'}",
    "{'overlong \\192\\175'}", "{" * 40 + "1" + "}" * 40,
    "nil", "print",
])
def test_other_shapes_are_left_to_python(worker, source):
    # Built and checked inside Lua: some of these values cannot even cross into Python.
    check = worker.runtime.eval(f"function(json_text) return json_text({source}) == nil end")
    assert check(worker.api.json_text) is True


def test_big_tables_are_left_to_python(worker):
    big = worker.runtime.eval("(function() local t = {} for i = 1, 5000 do t[i] = i end return t end)()")
    assert worker.api.json_text(big) is None
    small = worker.runtime.eval("(function() local t = {} for i = 1, 100 do t[i] = i end return t end)()")
    assert worker.api.json_text(small) == "[" + ",".join(str(i) for i in range(1, 101)) + "]"


def test_marked_objects_and_error_objects(worker):
    api = worker.api
    assert api.json_text(api.mark_object(worker.runtime.table())) == "{}"
    assert api.json_text(worker.runtime.table()) == "[]"
    assert api.json_text(api.make_error("Internal", "boom", False)) is None
