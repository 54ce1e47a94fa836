"""`funcs` and `ctx`: calls between function entries through the real engine."""
from __future__ import annotations

import time

import pytest

from wippy.errors import CANCELED, INTERNAL, INVALID, NOT_FOUND, TIMEOUT
from wippy.lua.engine import LuaEngine
from wippy.lua.modules import MODULES
from wippy.lua.modules.funcs.module import MAX_DEPTH

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
async def engine():
    objects: dict = {}
    e = LuaEngine(objects, modules=MODULES, workers=1, budget=3.0)
    await e.start()

    def define(entry_id, body, modules=("funcs",), budget=None):
        source = "return {main = function(...)\n" + body + "\nend}"
        objects[entry_id] = e.define(entry_id, source, "main", list(modules), budget=budget)
        return objects[entry_id]
    e.add = define
    try:
        yield e
    finally:
        await e.close()


async def test_call_passes_arguments_and_returns_the_result(engine):
    engine.add("app:add", "local a, b, c = ...\nreturn {sum = a + (c or 0), b = b}", modules=())
    f = engine.add("app:main", 'return funcs.call("app:add", 2, nil, 5)')
    r = await engine.call(f)
    assert r.values[0] == {"sum": 7} and r.values[1] is None, r.error


async def test_the_callee_has_its_own_modules(engine):
    engine.add("app:enc", 'return {json.encode({...}), type(funcs), type(uuid)}', modules=("json",))
    f = engine.add("app:main", 'local v, err = funcs.call("app:enc", 1, 2)\n'
                   'return v, type(json)', modules=("funcs", "uuid"))
    r = await engine.call(f)
    assert r.values == [["[1,2]", "nil", "nil"], "nil"], r.error


@pytest.mark.parametrize("callee, kind, retryable, message", [
    ('return nil, errors.new({message = "no user", kind = errors.NOT_FOUND, retryable = false})',
     NOT_FOUND, False, "no user"),
    ('error(errors.new({message = "busy", kind = errors.UNAVAILABLE, retryable = true}))',
     "Unavailable", True, "busy"),
    ('error("plain failure")', INTERNAL, None, "app:callee:2: plain failure"),
])
async def test_errors_keep_their_kind_across_the_call(engine, callee, kind, retryable, message):
    engine.add("app:callee", callee, modules=())
    f = engine.add("app:main", 'local v, err = funcs.call("app:callee")\n'
                   'return v, err:kind(), err:retryable(), err:message(), errors.is(err, "' + kind + '")')
    r = await engine.call(f)
    assert r.values == [None, kind, retryable, message, True], r.error


@pytest.mark.parametrize("target, kind, text", [
    ('""', INVALID, "function target is empty"),
    ('"nons"', INVALID, "has no namespace"),
    ('"app:"', INVALID, "has no name"),
    ('"app:missing"', NOT_FOUND, "function app:missing not found"),
])
async def test_bad_targets(engine, target, kind, text):
    f = engine.add("app:main", f"local v, err = funcs.call({target})\nreturn err:kind(), err:message()")
    r = await engine.call(f)
    assert r.values[0] == kind and text in r.values[1], r.values


async def test_a_non_string_target_raises(engine):
    f = engine.add("app:main", "return funcs.call(42)")
    r = await engine.call(f)
    assert r.raised and "bad argument #1 to 'call' (string expected, got number)" in r.error.message


async def test_the_callee_budget_is_capped_by_the_callers_remaining_budget(engine):
    engine.add("app:spin", "while true do end", modules=(), budget=30.0)
    f = engine.add("app:main", 'local t0 = os.clock()\nlocal v, err = funcs.call("app:spin")\n'
                   'return err:kind()', budget=0.6)
    t0 = time.monotonic()
    r = await engine.call(f)
    elapsed = time.monotonic() - t0
    # The callee stops at the caller's deadline, not its own 30 s.
    assert elapsed < 3.0, elapsed
    assert (r.values and r.values[0] == TIMEOUT) or (r.error and r.error.kind == TIMEOUT), r


async def test_the_callee_keeps_its_own_smaller_budget(engine):
    engine.add("app:spin", "while true do end", modules=(), budget=0.3)
    f = engine.add("app:main", 'local v, err = funcs.call("app:spin")\nreturn err:kind(), "caller alive"',
                   budget=5.0)
    t0 = time.monotonic()
    r = await engine.call(f)
    assert r.values == [TIMEOUT, "caller alive"], r.error
    assert time.monotonic() - t0 < 2.5


async def test_with_options_timeout_caps_the_callee(engine):
    engine.add("app:spin", "while true do end", modules=(), budget=30.0)
    f = engine.add("app:main", 'local ex = funcs.new():with_options({timeout = 300})\n'
                   'local v, err = ex:call("app:spin")\nreturn err:kind()', budget=5.0)
    t0 = time.monotonic()
    r = await engine.call(f)
    assert r.values == [TIMEOUT] and time.monotonic() - t0 < 2.5


async def test_recursion_depth_is_bounded_with_a_clear_error(engine):
    engine.add("app:rec", 'local n = ... or 0\nlocal v, err = funcs.call("app:rec", n + 1)\n'
               'if err then return nil, err end\nreturn v')
    r = await engine.call(engine.objects["app:rec"], (0,))
    assert r.error is not None and r.error.kind == INTERNAL
    assert f"call depth limit exceeded: more than {MAX_DEPTH} nested funcs calls" in r.error.message
    assert "app:rec -> app:rec" in r.error.message
    # The engine is fine afterwards.
    engine.add("app:one", "return 1", modules=())
    f = engine.add("app:main", 'return funcs.call("app:one")')
    assert (await engine.call(f)).values[0] == 1


async def test_context_flows_down_the_chain_and_ctx_reads_it(engine):
    engine.add("app:leaf", 'local v = ctx.get("trace")\nlocal u, err = ctx.get("nope")\n'
               'return {trace = v, user = ctx.get("user"), all = ctx.all(), missing = err:kind()}',
               modules=("ctx",))
    engine.add("app:mid", 'return funcs.new():with_context({user = "ann"}):call("app:leaf")')
    f = engine.add("app:main", 'local ex, err = funcs.new():with_context({trace = "t-1"})\n'
                   'return ex:call("app:mid"), ctx.all()', modules=("funcs", "ctx"))
    r = await engine.call(f)
    assert r.values[0] == {"trace": "t-1", "user": "ann", "all": {"trace": "t-1", "user": "ann"},
                           "missing": NOT_FOUND}, r.error
    assert r.values[1] == {}


async def test_executors_are_immutable(engine):
    engine.add("app:leaf", "return ctx.all()", modules=("ctx",))
    f = engine.add("app:main", 'local base = funcs.new()\n'
                   'local a = base:with_context({a = 1})\nlocal b = a:with_context({b = 2})\n'
                   'return base:call("app:leaf"), a:call("app:leaf"), b:call("app:leaf"), '
                   'tostring(base), select(2, base:with_actor({})):kind()')
    r = await engine.call(f)
    assert r.values[0] == {} and r.values[1] == {"a": 1} and r.values[2] == {"a": 1, "b": 2}
    assert r.values[3] == "funcs.Executor" and r.values[4] == INVALID


async def test_async_future_methods(engine):
    engine.add("app:slow", 'time.sleep("100ms")\nreturn "done " .. ...', modules=("time",))
    f = engine.add("app:main", """
local fut, err = funcs.async("app:slow", "x")
local before = fut:is_complete()
local pending_v, pending_e = fut:result()
local ch = fut:response()
assert(rawequal(ch, fut:channel()))
local p, ok = ch:receive()
local again, ok2 = ch:receive()
local r = fut:result()
local e, has_error = fut:error()
return before, pending_v, pending_e, p:data(), ok, again, ok2, r:data(), fut:is_complete(),
       fut:is_canceled(), e, has_error
""")
    r = await engine.call(f)
    assert r.values == [False, None, None, "done x", True, None, False, "done x", True, False,
                        None, False], r.error


async def test_async_runs_in_parallel(engine):
    engine.add("app:slow", 'time.sleep("300ms")\nreturn ...', modules=("time",))
    f = engine.add("app:main", """
local fs = {}
for i = 1, 4 do fs[i] = funcs.async("app:slow", i) end
local out = {}
for i = 1, 4 do local p = fs[i]:channel():receive(); out[i] = p:data() end
return out
""")
    t0 = time.monotonic()
    r = await engine.call(f)
    assert r.values[0] == [1, 2, 3, 4], r.error
    assert time.monotonic() - t0 < 1.0   # four 300 ms calls at once, not one after another


async def test_async_failures_and_cancel(engine):
    engine.add("app:fail", 'return nil, errors.new({message = "gone", kind = errors.NOT_FOUND})',
               modules=())
    engine.add("app:slow", 'time.sleep("5s")\nreturn 1', modules=("time",))
    f = engine.add("app:main", """
local f1 = funcs.async("app:fail")
local got, ok = f1:channel():receive()
local _, rerr = f1:result()
local e, has = f1:error()
local f2 = funcs.async("app:slow")
local canceled = f2:cancel()
local _, cerr = f2:result()
local _, bad = funcs.async("nope")
return got:kind(), ok, rerr:kind(), e:kind(), e:retryable(), has, canceled, f2:is_canceled(),
       cerr:kind(), f2:cancel(), bad:kind()
""")
    r = await engine.call(f)
    assert r.values == [NOT_FOUND, True, NOT_FOUND, INTERNAL, False, True, True, True, CANCELED,
                        False, INVALID], r.error


async def test_running_async_calls_per_call_are_bounded(engine, monkeypatch):
    from wippy.lua.modules.funcs import module
    monkeypatch.setattr(module, "MAX_PENDING", 5)
    engine.add("app:slow", 'time.sleep("2s")\nreturn 1', modules=("time",))
    f = engine.add("app:main", """
local fs, err = {}, nil
for i = 1, 6 do
    local f, e = funcs.async("app:slow")
    if e then err = e break end
    fs[i] = f
end
for _, f in ipairs(fs) do f:cancel() end
return #fs, err:kind(), err:retryable()
""")
    r = await engine.call(f)
    assert r.values == [5, "RateLimited", True], r.error
