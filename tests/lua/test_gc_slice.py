"""CPython's cyclic GC pausing a Lua step on the event loop does not count against the
step's inline slice (wippy/lua/gcpause.py), but still counts against its deadline, and a
step that keeps the loop busy is stopped whatever the collector did."""
from __future__ import annotations

import asyncio
import gc
import time

import pytest

from wippy.lua import gcpause
from wippy.lua.engine import INLINE_SLICE, LuaEngine
from wippy.lua.modules import MODULES
from wippy.lua.modules.base import LuaModule
from wippy.lua.worker import SLICE_GRACE

# Lua work after the collection: enough instructions for the count hook to run
# (and read the clock) after the pause, a millisecond or two of CPU.
COLLECT_THEN_WORK = """local system = require("system")
return { main = function()
    local ok = system.gc.collect()
    local i = 0 while i < 200000 do i = i + 1 end
    return ok, i
end }"""

COLLECT_FOREVER = """local system = require("system")
return { main = function()
    while true do
        system.gc.collect()
        local i = 0 while i < 20000 do i = i + 1 end
    end
end }"""


@pytest.fixture(scope="module")
def heap():
    """A heap whose full collection takes at least two inline slices and well under
    SLICE_GRACE. What earlier tests left is frozen out of the collector's sight
    (thawed afterwards), so the collection time is this heap's."""
    gc.collect()
    gc.freeze()
    objects: list = []
    n = 25_000
    try:
        while True:
            objects.extend([] for _ in range(n - len(objects)))
            t = time.monotonic()
            gc.collect()
            pause = time.monotonic() - t
            if pause > 2 * INLINE_SLICE or n >= 4_000_000:
                break
            n *= 2
        assert 2 * INLINE_SLICE < pause < SLICE_GRACE * 0.8, pause
        yield objects
    finally:
        objects.clear()
        gc.unfreeze()


class Nap(LuaModule):
    """A host function that blocks its thread without using CPU, as a thread does
    while it waits for the GIL or the OS runs something else."""
    name = "nap"
    lua = "return function(host) return {nap = host.nap} end"

    def host_functions(self):
        def nap(call, seconds):
            time.sleep(seconds)
            return True
        return {"nap": nap}


# The nap comes after the step's first hook check (10 000 instructions in): before
# it the step's CPU time is not known and its wall time is charged. The work after
# it is more than the 5 ms of CPU between two checks (so the clock is read after
# the nap) and well under a slice (~10 ms at ~15 ns per iteration).
NAP_THEN_WORK = """local nap = require("nap")
return { main = function(s)
    local j = 0 while j < 20000 do j = j + 1 end
    nap.nap(s)
    local i = 0 while i < 600000 do i = i + 1 end
    return i
end }"""


def call_once(src: str, entry: str, budget: float, args=(), extras=None):
    async def main():
        engine = LuaEngine({}, modules={"system": MODULES["system"], "nap": Nap()}, workers=1)
        await engine.start()
        try:
            fdef = engine.define(entry, src, "main", ["system", "nap"])
            t = time.monotonic()
            result = await engine.call(fdef, args, budget=budget, extras=extras)
            return result, time.monotonic() - t, set(engine._offloaded)
        finally:
            await engine.close()
    return asyncio.run(main())


def test_a_collection_inside_a_step_on_the_loop_does_not_stop_it(heap):
    result, took, offloaded = call_once(COLLECT_THEN_WORK, "t:collects", 5.0)
    # Before gcpause: stopped past the slice after an effect, so Unavailable, and
    # the entry moved to the worker threads for good.
    assert result.ok, result.error
    assert result.values == [True, 200000]
    assert offloaded == set()
    assert took > 2 * INLINE_SLICE   # the pause really fell inside the step


def test_collections_still_count_against_the_deadline(heap):
    """The slice forgives pauses; the call's budget does not: a budget shorter than the
    collection ends the call as Timeout (not a preemption: the entry stays on the loop)."""
    result, took, offloaded = call_once(COLLECT_THEN_WORK, "t:collects_late", INLINE_SLICE / 2)
    assert not result.ok
    assert result.error.kind == "Timeout", result.error
    assert offloaded == set()


def test_a_step_that_keeps_collecting_is_still_stopped_on_the_loop(heap):
    """The grace is capped: a step that spends the loop's time in collections it
    triggers itself is stopped after SLICE_GRACE, not left there to its deadline."""
    result, took, offloaded = call_once(COLLECT_FOREVER, "t:collects_forever", 10.0)
    assert offloaded == {"t:collects_forever"}   # preempted on the loop, not timed out
    assert result.error.kind == "Unavailable" and result.error.retryable
    assert took < 10.0 / 2


def test_time_the_thread_did_not_run_is_not_charged_to_the_step():
    """A step whose thread was held (here: blocked without CPU for three slices) is
    charged what it ran itself."""
    result, took, offloaded = call_once(NAP_THEN_WORK, "t:held", 5.0, (3 * INLINE_SLICE,))
    assert result.ok, result.error
    assert offloaded == set()
    assert took > 3 * INLINE_SLICE


NAP_FIRST = NAP_THEN_WORK.replace("local j = 0 while j < 20000 do j = j + 1 end", "")


def test_a_process_step_is_charged_its_cpu_from_its_start():
    """On a process state the step's CPU clock is read when it starts: a step held
    before its first hook check is not charged for it either. On the HTTP handlers'
    state that time is charged (wall time up to the first check)."""
    held = (3 * INLINE_SLICE,)
    result, _, offloaded = call_once(NAP_FIRST, "t:held_first", 5.0, held,
                                     extras={"lua_state": "processes"})
    assert result.ok, result.error
    assert offloaded == set()
    result, _, offloaded = call_once(NAP_FIRST, "t:held_first", 5.0, held)
    assert offloaded == {"t:held_first"}


def test_a_step_held_past_the_grace_is_stopped():
    """Whatever held it, a step is stopped SLICE_GRACE after its slice ended."""
    result, took, offloaded = call_once(NAP_THEN_WORK, "t:held_long", 5.0,
                                        (INLINE_SLICE + SLICE_GRACE + 0.05,))
    assert offloaded == {"t:held_long"}
    assert result.error.kind == "Unavailable"


def test_pauses_are_summed_from_the_step_start_only():
    gcpause.install()
    t0 = time.monotonic()
    gc.collect()
    gc.collect()
    after = time.monotonic()
    inside = gcpause.paused_since(t0)
    assert 0 < inside <= after - t0
    assert gcpause.paused_since(after) == 0.0
