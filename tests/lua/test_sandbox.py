"""The sandbox: no path from handler code to Python, the OS or other calls."""
from __future__ import annotations

import asyncio
import os

import pytest

from tests.lua_helpers import run_lua
from wippy.lua.engine import LuaEngine

ALLOWED_GLOBALS = sorted([
    "_G", "_VERSION", "assert", "coroutine", "error", "getmetatable", "ipairs", "math",
    "next", "os", "pairs", "pcall", "print", "rawequal", "rawget", "rawlen", "rawset",
    "require", "select", "setmetatable", "string", "table", "tonumber", "tostring", "type",
    "unpack", "utf8", "xpcall",
])


def run(coro):
    return asyncio.run(coro)


def lua(src, **kw):
    return run(run_lua(src, modules=[], engine=None, **kw))


def test_environment_is_exactly_the_allowlist():
    # Globals resolve through a frozen base: list what resolves among every name
    # a stock Lua 5.4 state has, plus the ones handlers are promised.
    stock = ALLOWED_GLOBALS + ["collectgarbage", "debug", "dofile", "io", "load", "loadfile",
                               "package", "python", "loadstring", "newproxy", "module"]
    names = "{" + ", ".join(f'"{n}"' for n in stock) + "}"
    r = lua(f"return function() local out = {{}} for _, n in ipairs({names}) do "
            f"if _G[n] ~= nil then out[#out + 1] = n end end table.sort(out) return out end")
    assert r.values[0] == ALLOWED_GLOBALS


def test_os_has_only_time_functions():
    r = lua("return function() local ks = {} for k in pairs(os) do ks[#ks + 1] = k end "
            "table.sort(ks) return ks end")
    assert r.values[0] == ["clock", "date", "difftime", "platform", "time"]


@pytest.mark.parametrize("expr", [
    "python", "io", "package", "debug", "load", "loadstring", "dofile", "loadfile",
    "collectgarbage", "os.execute", "os.getenv", "os.exit", "os.remove", "os.rename",
    "string.dump", "getmetatable('')", "newproxy",
])
def test_dangerous_names_are_absent(expr):
    r = lua(f"return function() return {expr} end")
    assert r.ok and r.values == [None], expr


@pytest.mark.parametrize("attack", [
    "python.eval('1')",
    "require('python')",
    "require('io')",
    "require('os')",
    "os.execute('touch /tmp/wippy-pwned')",
    "io.open('/etc/hostname')",
    "os.exit(3)",
    "package.loadlib('libc.so.6', '*')",
    "debug.getregistry()",
    "load(string.dump(function() end))",
])
def test_escape_attempts_end_as_clean_errors(attack):
    r = lua(f"return function() return {attack} end")
    assert r.raised, attack
    assert not os.path.exists("/tmp/wippy-pwned")


def test_no_cross_call_poisoning():
    async def main():
        engine = LuaEngine({}, modules={}, workers=1)
        await engine.start()
        try:
            poison = engine.define("t:poison", """
                leaked = "yes"
                local ok1 = pcall(function() string.upper = nil end)
                local ok2 = pcall(function() table.insert = nil end)
                local ok3 = pcall(function() getmetatable("").__index.rep = nil end)
                return ok1 or ok2 or ok3""", "", [])
            check = engine.define("t:check", """
                return leaked, ("a"):upper(), ("a"):rep(2), string.upper("b"), type(table.insert)
            """, "", [])
            r1 = await engine.call(poison)
            r2 = await engine.call(check)
            r3 = await engine.call(poison)
            r4 = await engine.call(check)
            return r1, r2, r3, r4
        finally:
            await engine.close()
    r1, r2, r3, r4 = run(main())
    assert r1.values == [False]
    assert r2.values == [None, "A", "aa", "B", "function"]
    assert r4.values == r2.values


def test_gc_metamethods_are_refused():
    r = lua("return function() setmetatable({}, {__gc = function() while true do end end}) end")
    assert r.raised and "__gc" in r.error.message


def test_binary_chunk_is_refused_at_call():
    r = lua("\x1bLuaT\x00\x19\x93\r\n\x1a\n")
    assert r.raised and "binary" in r.error.message


def test_metamethod_traps_in_results_do_not_run_in_python():
    r = lua("""return function()
        local t = setmetatable({}, {__index = function(t, k) while true do end end,
                                    __pairs = function() while true do end end})
        t.x = 1
        return t
    end""", budget=0.5)
    assert r.ok and r.values == [{"x": 1}]


def test_tostring_trap_in_error_is_bounded():
    r = lua("return function() error(setmetatable({}, {__tostring = function() "
            "while true do end end})) end", budget=0.3)
    assert r.raised


def test_memory_bomb_is_stopped():
    r = lua("return function() return string.rep('x', 2^30) end")
    assert r.raised and "memory" in r.error.message
    r = lua("return function() return 1 + 1 end")
    assert r.values == [2]


def test_unpack_alias_and_integer_subtype():
    r = lua("return function() local a, b = unpack({1, 2}) return a + b, 7 // 2, 1 << 4 end")
    assert r.values == [3, 3, 16]
