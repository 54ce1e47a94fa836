"""When CPython's cyclic garbage collector paused a thread, for the slice of Lua steps
on the event loop (docs/architecture.md, "Running Lua").

A step on the loop is stopped once it has run `INLINE_SLICE` (wippy/lua/engine.py).
With thousands of processes alive a full collection takes tens of milliseconds, and
it runs wherever an allocation happens to trigger it, often inside some innocent
step: counting that pause against the step would stop it and move its entry to the
worker threads for good. So collections are timed here (a `gc.callbacks` entry, a few
C calls per collection, nothing per step), and a step past its slice is charged its
own time minus the pauses in its thread (LuaWorker.slice_after, asked only then).
"""
from __future__ import annotations

import gc
import threading
import time
from collections import deque

# Recent pauses as (start, end, thread id) on the monotonic clock, newest last. A
# step lasts tens of milliseconds: far fewer collections than this fit in one.
_recent: deque[tuple[float, float, int]] = deque(maxlen=64)
_started = 0.0   # start of the collection running now (collections never overlap)


def _on_gc(phase: str, info: dict) -> None:
    global _started
    if phase == "start":
        _started = time.monotonic()
    else:
        _recent.append((_started, time.monotonic(), threading.get_ident()))


def install() -> None:
    """Start timing collections (idempotent: every engine calls it)."""
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)


def paused_since(t0: float, thread: int | None = None) -> float:
    """Seconds the collector ran after monotonic time `t0` (in `thread` only, if given)."""
    for _ in range(3):
        try:   # a collection on another thread may append meanwhile: copy, retry
            pauses = tuple(_recent)
            break
        except RuntimeError:
            continue
    else:
        return 0.0
    total = 0.0
    for start, end, ident in reversed(pauses):
        if end <= t0:
            break
        if thread is None or ident == thread:
            total += end - max(start, t0)
    return total
