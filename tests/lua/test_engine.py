"""The Lua engine: calls, results, errors, host requests, concurrency."""
from __future__ import annotations

import asyncio
import time

import pytest

from tests.lua_helpers import run_lua
from wippy.errors import WippyError
from wippy.lua.engine import LuaEngine
from wippy.lua.modules.base import LuaModule, LuaRaise


class Probe(LuaModule):
    """A test module with a host function, a raising one, and async ops."""
    name = "probe"
    lua = """
    return function(host, lib)
        local M = {}
        function M.echo(v) return host.echo(v) end
        function M.boom(msg) return host.boom(msg) end
        function M.fail(msg) return host.fail(msg) end
        function M.sleep(s) return lib.await("probe.sleep", s) end
        function M.reject(msg) return lib.await("probe.reject", msg) end
        M.nested = {value = 1}
        return M
    end
    """

    def __init__(self):
        self.sleeps = 0

    def host_functions(self):
        def echo(call, v):
            return call.to_lua(call.from_lua(v))

        def boom(call, msg):
            raise LuaRaise(msg)

        def fail(call, msg):
            raise WippyError(msg, "NotFound")
        return {"echo": echo, "boom": boom, "fail": fail}

    def async_ops(self):
        async def sleep(call, seconds):
            self.sleeps += 1
            await asyncio.sleep(seconds)
            return {"slept": seconds}

        async def reject(call, msg):
            raise WippyError(msg, "Invalid", retryable=False)
        return {"probe.sleep": sleep, "probe.reject": reject}


def run(coro):
    return asyncio.run(coro)


def test_returns_plain_values():
    r = run(run_lua("return { main = function(a, b) return a + b, {x = 1, y = {1, 2}}, {} end }",
                    args=(2, 3)))
    assert r.ok and not r.raised
    assert r.values == [5, {"x": 1, "y": [1, 2]}, []]


def test_integers_and_floats_keep_their_subtype():
    r = run(run_lua("return { main = function(t) return t.i, t.f, math.type(t.i), math.type(t.f) end }",
                    args=({"i": 3, "f": 3.0},)))
    assert r.values == [3, 3.0, "integer", "float"]


def test_raised_error_carries_entry_id_and_line():
    r = run(run_lua("local x = 1\nreturn { main = function() error('boom') end }",
                    entry_id="app:process_task"))
    assert r.raised
    assert r.error.message == "app:process_task:2: boom"


def test_returned_nil_err_is_an_error_without_raising():
    r = run(run_lua("return { main = function() return nil, 'bad thing' end }"))
    assert not r.raised and r.error.message == "bad thing"
    assert r.values == [None, "bad thing"]


def test_missing_method():
    r = run(run_lua("return { other = function() end }", method="main"))
    assert r.raised and r.error.message == 'method "main" not found in module'


def test_chunk_may_return_the_function_itself():
    r = run(run_lua("return function(x) return x * 2 end", args=(21,)))
    assert r.values == [42]


def test_empty_method_runs_the_chunk_as_body():
    r = run(run_lua("local a = ... return a + 1", method="", args=(1,)))
    assert r.values == [2]


def test_syntax_error_is_reported_by_check_source():
    engine = LuaEngine({}, modules={})
    assert "app:x:1:" in engine.check_source("return {", "app:x")
    assert engine.check_source("return {}", "app:x") is None
    assert "binary chunk" in engine.check_source("\x1bLua....", "app:x")


def test_host_functions_async_ops_and_errors():
    probe = Probe()
    src = """
    local probe = require("probe")
    return { main = function()
        local echoed = probe.echo({a = {1, 2, {b = true}}, e = {}})
        local slept, err1 = probe.sleep(0.01)
        local v, err2 = probe.reject("nope")
        local v3, err3 = probe.fail("missing")
        local ok, raised = pcall(probe.boom, "argument error")
        return echoed, slept, err2:kind(), tostring(err2), err2:retryable(),
               err3:kind(), err3:message(), ok, raised
    end }
    """

    async def main():
        engine = LuaEngine({}, modules={"probe": probe}, workers=1)
        await engine.start()
        try:
            fdef = engine.define("t:probe", src, "main", ["probe"])
            return await engine.call(fdef)
        finally:
            await engine.close()
    r = run(main())
    assert r.ok, r.error
    echoed, slept, kind, text, retryable, kind3, msg3, ok, raised = r.values
    assert echoed == {"a": [1, 2, {"b": True}], "e": []}  # a Lua {} is an array
    assert slept == {"slept": 0.01}
    assert (kind, text, retryable) == ("Invalid", "nope", False)
    assert (kind3, msg3) == ("NotFound", "missing")
    assert ok is False and "argument error" in raised


def test_require_only_declared_modules():
    probe = Probe()

    async def main():
        engine = LuaEngine({}, modules={"probe": probe}, workers=1)
        await engine.start()
        try:
            fdef = engine.define("t:req", "return { main = function() return require('probe') end }",
                                 "main", [])
            return await engine.call(fdef)
        finally:
            await engine.close()
    r = run(main())
    assert r.raised and "module 'probe' not found" in r.error.message


def test_unknown_module_is_rejected_at_define():
    engine = LuaEngine({}, modules={})
    with pytest.raises(ValueError, match="unknown module 'nope'"):
        engine.define("t:x", "return {}", "main", ["nope"])


def test_modules_are_read_only():
    probe = Probe()
    src = """return { main = function()
        local ok1 = pcall(function() probe.echo = nil end)
        local ok2 = pcall(rawset, probe, "echo", 1)
        local ok3 = pcall(function() probe.nested.value = 2 end)
        return ok1, ok2, ok3, probe.nested.value
    end }"""

    async def main():
        engine = LuaEngine({}, modules={"probe": probe}, workers=1)
        await engine.start()
        try:
            fdef = engine.define("t:ro", src, "main", ["probe"])
            return await engine.call(fdef)
        finally:
            await engine.close()
    assert run(main()).values == [False, False, False, 1]


def test_two_sleeping_calls_overlap():
    probe = Probe()
    src = "return { main = function() probe.sleep(0.2) return true end }"

    async def main():
        engine = LuaEngine({}, modules={"probe": probe}, workers=1)
        await engine.start()
        try:
            fdef = engine.define("t:sleep", src, "main", ["probe"])
            t0 = time.perf_counter()
            results = await asyncio.gather(*(engine.call(fdef) for _ in range(5)))
            return time.perf_counter() - t0, results
        finally:
            await engine.close()
    elapsed, results = run(main())
    assert all(r.values == [True] for r in results)
    assert elapsed < 0.6, f"5 concurrent 200ms sleeps took {elapsed:.2f}s on one worker"


def test_cpu_bound_lua_does_not_block_the_loop():
    src = "return { main = function() local i = 0 while i < 3e7 do i = i + 1 end return i end }"

    async def main():
        engine = LuaEngine({}, modules={}, workers=1)
        await engine.start()
        try:
            fdef = engine.define("t:spin", src, "main", [])
            task = asyncio.ensure_future(engine.call(fdef))
            lags = []
            while not task.done():
                t0 = time.perf_counter()
                await asyncio.sleep(0.005)   # the lag of this sleep is what is measured
                lags.append(time.perf_counter() - t0 - 0.005)
            return await task, max(lags)
        finally:
            await engine.close()
    result, worst_lag = run(main())
    assert result.ok
    assert worst_lag < 0.1, f"event loop stalled {worst_lag:.3f}s while Lua was spinning"


def test_budget_stops_runaway_loops():
    for src in [
        "return function() while true do end end",
        "return function() while true do pcall(function() while true do end end) end end",
        "return function() while true do xpcall(function() while true do end end, print) end end",
        "return function() coroutine.wrap(function() while true do end end)() end",
        "return function() local co = coroutine.create(function() while true do end end)\n"
        " while true do coroutine.resume(co) end end",
    ]:
        t0 = time.perf_counter()
        r = run(run_lua(src, budget=0.3))
        elapsed = time.perf_counter() - t0
        assert r.raised and r.error.kind == "Timeout", (src, r)
        assert elapsed < 1.5, (src, elapsed)


def test_host_request_from_user_coroutine_passes_through():
    probe = Probe()
    src = """return { main = function()
        local co = coroutine.wrap(function() return probe.sleep(0.01) end)
        return co()
    end }"""

    async def main():
        engine = LuaEngine({}, modules={"probe": probe}, workers=1)
        await engine.start()
        try:
            return await engine.call(engine.define("t:co", src, "main", ["probe"]))
        finally:
            await engine.close()
    r = run(main())
    assert r.values == [{"slept": 0.01}, None]  # value, err


def test_user_yield_at_top_level_is_an_error():
    r = run(run_lua("return function() coroutine.yield('fake') end"))
    assert r.raised and "yield from outside a coroutine" in r.error.message


def test_result_conversion_caps_depth_and_cycles():
    r = run(run_lua("return function() local t = {} t.self = t return t end"))
    assert r.raised and "nested too deeply" in r.error.message


def test_empty_dict_from_python_stays_an_object():
    probe = Probe()
    src = """return { main = function()
        local v = probe.sleep(0)      -- {slept = 0}
        return probe.echo({obj = {}}), v
    end }"""

    async def main():
        engine = LuaEngine({}, modules={"probe": probe}, workers=1)
        await engine.start()
        try:
            fdef = engine.define("t:obj", src, "main", ["probe"])
            r1 = await engine.call(fdef)
            fdef2 = engine.define("t:obj2", "local t = ... return t, t.inner", "", [])
            r2 = await engine.call(fdef2, ({"inner": {}},))
            return r1, r2
        finally:
            await engine.close()
    r1, r2 = run(main())
    assert r1.values[0] == {"obj": []}
    assert r2.values == [{"inner": {}}, {}]


def test_long_pure_step_moves_off_the_loop_and_is_rerun_transparently():
    probe = Probe()
    src = "return { main = function(n) local i = 0 while i < n do i = i + 1 end return i end }"

    async def main():
        engine = LuaEngine({}, modules={"probe": probe}, workers=1)
        await engine.start()
        try:
            fdef = engine.define("t:pure_spin", src, "main", ["probe"])
            quick = await engine.call(fdef, (10,))
            assert "t:pure_spin" not in engine._offloaded
            slow = await engine.call(fdef, (30_000_000,))
            return quick, slow, set(engine._offloaded)
        finally:
            await engine.close()
    quick, slow, offloaded = run(main())
    assert quick.values == [10]
    assert slow.ok and slow.values == [30_000_000]
    assert offloaded == {"t:pure_spin"}


def test_long_step_after_an_effect_fails_retryably_then_runs_on_threads():
    class Effects(Probe):
        name = "fx"
        effects = ("echo",)   # pretend echo changes the world
    fx = Effects()
    src = """local probe = require("probe")
    return { main = function(n)
        probe.echo(1)
        local i = 0 while i < n do i = i + 1 end
        return i
    end }""".replace('require("probe")', 'require("fx")')

    async def main():
        engine = LuaEngine({}, modules={"fx": fx}, workers=1)
        await engine.start()
        try:
            fdef = engine.define("t:fx_spin", src, "main", ["fx"])
            first = await engine.call(fdef, (30_000_000,))
            second = await engine.call(fdef, (30_000_000,))
            return first, second
        finally:
            await engine.close()
    first, second = run(main())
    assert first.raised and first.error.kind == "Unavailable" and first.error.retryable
    assert second.ok and second.values == [30_000_000]


def test_big_c_calls_never_start_on_the_event_loop():
    """The hook cannot stop C code, so large sorts/joins/scans are moved to a worker
    thread before they start; the result is the same."""
    src = """return { main = function(n)
        local t = {}
        for i = 1, n do t[i] = (i * 7919) % n end
        table.sort(t)
        local s = table.concat(t, ",", 1, 10)
        return t[1], t[n], s, #string.rep("ab", n)
    end }"""

    async def main():
        engine = LuaEngine({}, modules={}, workers=1)
        await engine.start()
        try:
            fdef = engine.define("t:big_c", src, "main", [])
            small = await engine.call(fdef, (1000,))
            on_loop = "t:big_c" not in engine._offloaded
            big = await engine.call(fdef, (200_000,))
            return small, on_loop, big, set(engine._offloaded)
        finally:
            await engine.close()
    small, on_loop, big, offloaded = run(main())
    assert small.ok and on_loop
    assert big.ok, big.error
    assert big.values[0] == 0 and big.values[1] == 199_999 and big.values[3] == 400_000
    assert offloaded == {"t:big_c"}


def test_starting_an_engine_leaves_the_interpreter_switch_interval_alone():
    """The GIL switch interval is a process decision, made by `wippy run` (cli/__init__.py)."""
    import sys
    before = sys.getswitchinterval()

    async def start_and_close():
        engine = LuaEngine({})
        await engine.start()
        await engine.close()
    run(start_and_close())
    assert sys.getswitchinterval() == before


def test_wippy_run_sets_the_switch_interval(tmp_path):
    """`wippy run` shortens the interval before it builds anything (checked in a child)."""
    import subprocess
    import sys
    code = ("import sys, wippy.cli as c\n"
            "c.asyncio.run = lambda coro: (coro.close(), print(sys.getswitchinterval()))[1]\n"
            "c.main(['run'])\n")
    (tmp_path / "wippy.lock").write_text("directories:\n  modules: .wippy\n  src: ./src\n")
    (tmp_path / "src").mkdir()
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60)
    from wippy.cli import SWITCH_INTERVAL
    assert float(out.stdout) == pytest.approx(SWITCH_INTERVAL), out.stderr
