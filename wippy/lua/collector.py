"""The Lua collector of a state on the event loop runs between steps, never inside one
(docs/architecture.md, "Running Lua").

A step on the loop is stopped once it has run `INLINE_SLICE` (20 ms) of its own time.
Lua's incremental collector does its work inside whatever allocation crosses its debt,
and one part of each cycle cannot be split: the atomic phase, which walks every
coroutine stack and re-walks weak tables. With 10 000 processes alive it took 76–100 ms
(bench/README.md, "Lua's collector on the processes' state"), so sooner or later it
landed inside some short step, which was then stopped: a process that had sent a
message failed, and its entry moved to the worker threads for good.

So the loop's states run with the collector stopped, and the engine does the same work
itself after steps: a collector step is scheduled (`call_soon`) once the state has
allocated `GRAIN` bytes during a cycle, or once memory has reached the next cycle's
threshold between cycles. Each collector step pays for what was allocated since the
previous one, as Lua's own pacing would (`collectgarbage("step", kb)`), in `CHUNK`
pieces for at most `TURN` per loop turn (one call paying for 1 MiB at once marked most
of a 90 MiB heap: calls of up to 380 ms in 18-mass-spawn), unless memory is halfway
from the threshold to the cap. The threshold is Lua's
default pause (a new cycle once memory doubles what the last one left), kept below the
state's memory cap. An allocation that would pass the cap still runs Lua's emergency
full collection inside the step that made it, as before. Worker threads keep Lua's own
collector: their steps may run for seconds.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any

GRAIN = 64 * 1024           # bytes allocated during a cycle before the next collector step
CHUNK = 32 * 1024           # allocation paid for per `collectgarbage("step")` (Lua: 8 KiB)
TURN = 0.002                # collector time per loop turn while debt remains
PAUSE = 2.0                 # Lua's default pause: a new cycle once memory doubles
FLOOR = 4 * 1024 * 1024     # no cycle below this: a fresh state is mostly its modules


class LoopCollector:
    """Drives the collector of one Lua state owned by the event loop thread."""

    def __init__(self, runtime: Any, loop: asyncio.AbstractEventLoop, cap: int):
        self._used = runtime.get_memory_used
        self._step = runtime.eval('function(kb) return collectgarbage("step", kb) end')
        runtime.execute('collectgarbage("stop")')
        self._loop = loop
        self._cap = cap or 1 << 62     # no cap: only the pause decides
        self._scheduled = False
        self._in_cycle = False
        self._debt = 0                  # allocation not yet paid for, in bytes
        self._mark = self._used()       # memory after the last collector step
        self._threshold = self._next_threshold(self._mark)
        self.cycles = 0                 # completed cycles (tests and diagnostics)

    def after_step(self) -> None:
        """Called on the loop after every step on this state: ~0.1 µs when nothing is due."""
        if self._scheduled:
            return
        used = self._used()
        if (used - self._mark >= GRAIN) if self._in_cycle else (used >= self._threshold):
            self._scheduled = True
            self._loop.call_soon(self._collect)

    def _collect(self) -> None:
        self._scheduled = False
        used = self._used()
        if self._in_cycle:
            self._debt += max(used - self._mark, 0)
        elif used >= self._threshold:
            self._in_cycle = True
            self._debt = GRAIN          # a cycle starts with one grain of work
        else:
            return
        # Pay in CHUNK pieces for up to TURN, then let the loop serve others; past the
        # point halfway from the threshold to the cap, pay all of it now: between steps
        # beats Lua's emergency collection inside one.
        urgent = used >= self._threshold + (self._cap - self._threshold) // 2
        end = time.perf_counter() + TURN
        finished = False
        while self._debt > 0:
            pay = min(self._debt, CHUNK)
            self._debt -= pay
            finished = self._step(max(pay // 1024, 1))
            if finished or (not urgent and time.perf_counter() >= end):
                break
        self._mark = self._used()
        if finished:
            self.cycles += 1
            self._in_cycle = False
            self._debt = 0
            self._threshold = self._next_threshold(self._mark)
        elif self._debt > 0:
            self._scheduled = True
            self._loop.call_soon(self._collect)

    def _next_threshold(self, live: int) -> int:
        """Where the next cycle starts: twice what is live, but never past the point
        halfway from live to the cap, so a cycle starts before an allocation fails."""
        return max(min(int(live * PAUSE), live + (self._cap - live) // 2), FLOOR)
