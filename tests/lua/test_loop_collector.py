"""The Lua states on the event loop collect between steps, never inside one
(wippy/lua/collector.py), and still give memory back."""
from __future__ import annotations

import asyncio

import pytest

from tests.polling import wait_until
from wippy.lua.engine import LuaEngine

# About 3 MB of tables that are garbage when the call ends, in a few milliseconds.
GARBAGE = """return { main = function()
    local keep
    for i = 1, 40000 do keep = {i, i + 1} end
    return keep[1]
end }"""
# About 1 MB per call, ~2 ms: far inside the 20 ms slice even on a loaded machine, so
# every call stays on the loop (a step moved to a worker thread would collect there).
SMALL_GARBAGE = GARBAGE.replace("40000", "12000")


@pytest.mark.anyio
async def test_a_step_never_collects_and_the_loop_collects_after_it():
    engine = LuaEngine({}, workers=1)
    await engine.start()
    try:
        state = engine._inline
        lua = state.runtime
        assert lua.eval('collectgarbage("isrunning")') is False
        fdef = engine.define("test:garbage", GARBAGE, "main")
        before = lua.get_memory_used()
        result = await engine.call(fdef)
        assert result.error is None and result.values == [40000]
        # Nothing was swept inside the step: all of its garbage is still there.
        grown = lua.get_memory_used() - before
        assert grown > 2 << 20, grown
        # The loop's collector (scheduled after the step) reclaims it over a few turns.
        for _ in range(20):
            await engine.call(fdef)
            await asyncio.sleep(0)   # a loop turn, as between requests
        await wait_until(lambda: state.collector.cycles >= 1, timeout=10, what="a cycle")
        assert lua.get_memory_used() < before + (24 << 20)
    finally:
        await engine.close()


@pytest.mark.anyio
async def test_memory_stays_bounded_over_many_calls():
    engine = LuaEngine({}, workers=1, max_memory=48 << 20)
    await engine.start()
    try:
        state = engine._inline
        fdef = engine.define("test:garbage", SMALL_GARBAGE, "main")
        peak = 0
        for _ in range(600):   # ~0.6 GB allocated in all, through a 48 MiB state
            result = await engine.call(fdef)
            assert result.error is None, result.error
            peak = max(peak, state.runtime.get_memory_used())
            await asyncio.sleep(0)   # let the scheduled collector steps run
        assert state.collector.cycles >= 5
        assert "test:garbage" not in engine._offloaded   # every step stayed on the loop
        assert peak < 48 << 20
    finally:
        await engine.close()
