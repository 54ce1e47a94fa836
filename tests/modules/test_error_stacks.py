"""`err:stack()` and `errors.call_stack(err)`: where an error was made, handler frames only."""
from __future__ import annotations

import asyncio

from tests.lua_helpers import run_lua
from tests.modules.lua import values
from wippy.lua.engine import LuaEngine
from wippy.lua.modules import MODULES

NESTED = """
local function inner() local e = errors.new("boom"); return e end
local function outer() local e = inner(); return e end
local e = outer()
return e:stack(), errors.call_stack(e)
"""


def test_stack_is_the_lua_traceback_of_the_handler():
    text, stack = values(NESTED)
    lines = text.split("\n")
    assert lines[:3] == ["stack traceback:", "\ttest:fn:3: in inner", "\ttest:fn:4: in outer"]
    assert lines[3].startswith("\ttest:fn:5: in "), text     # main's own frame
    # Runtime frames (boot code, module code, C) never show.
    assert "module:" not in text and "[C]" not in text and "[string" not in text
    assert stack["thread"] == "main"
    assert stack["frames"][:2] == [{"source": "test:fn", "line": 3, "name": "inner"},
                                   {"source": "test:fn", "line": 4, "name": "outer"}]


def test_call_stack_frames_are_ordered_innermost_first():
    _, stack = values("""
local function a() local e = errors.new("x"); return e end
local function b() local e = a(); return e end
local function c() local e = b(); return e end
local e = c()
return e:stack(), errors.call_stack(e)
""")
    assert [(f["line"], f["name"]) for f in stack["frames"][:3]] == [(3, "a"), (4, "b"), (5, "c")]


def test_host_errors_get_the_callers_stack():
    # A module function returning (nil, err) made the error in Python: the stack is
    # still the handler's line that called it.
    _, stack = values("""
local function parse() local v, err = json.decode("{broken"); return v, err end
local v, err = parse()
return err:stack(), errors.call_stack(err)
""")
    assert stack["frames"][0]["source"] == "test:fn" and stack["frames"][0]["line"] == 3


def test_wrap_keeps_the_original_stack():
    got = values("""
local function fail() local e = errors.new("inner"); return e end
local e = fail()
local w = errors.wrap(e, "outer")
return errors.call_stack(w).frames[1].line, w:message()
""")
    assert got == [3, "outer: inner"]


def test_errors_made_in_a_coroutine_say_so():
    got = values("""
local co = coroutine.create(function() local e = errors.new("in co"); return e end)
local _, e = coroutine.resume(co)
return errors.call_stack(e).thread, errors.call_stack(e).frames[1].line
""")
    assert got == ["coroutine", 3]


def test_call_stack_of_a_non_error_is_nil():
    assert values('return errors.call_stack("text"), errors.call_stack({})') == [None, None]


def test_stacks_of_library_frames_and_async_errors():
    async def go():
        engine = LuaEngine({}, modules=MODULES, workers=1)
        await engine.start()
        try:
            # An error made after a host wait (the coroutine was resumed) still has its stack.
            r = await run_lua("""
return {main = function()
    local time = require("time")
    time.sleep("1ms")
    local e = errors.new("after sleep")
    return errors.call_stack(e).frames[1].line
end}""", modules=["time"], engine=engine, entry_id="app:slept")
            return r
        finally:
            await engine.close()
    r = asyncio.run(go())
    assert r.values == [5], r.error
