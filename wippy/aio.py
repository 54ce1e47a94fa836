"""Await a coroutine under a deadline, paying for the timer only if it really waits.

Most host operations finish without ever suspending (an INSERT on the loop's
fast path, a publish into a queue with room, a request body that has already
arrived). `asyncio.timeout` costs a TimerHandle, a heap push and a task lookup
each time (~3.5 us, measured), which is a tenth of a fast SQL write. So the
coroutine is first run eagerly, right here; only if it suspends is the rest
awaited under `asyncio.timeout_at`, by delegating to it exactly as `await`
would (sent values and thrown exceptions, cancellation included, pass through).

Waits in this package use `asyncio.timeout`, not `asyncio.wait_for`: on Python 3.11,
when a cancellation arrives as the awaited thing finishes, `wait_for` returns its
result and drops the cancellation (gh-86296, fixed in 3.12). Where results arrive all
the time (a Lua step on a worker thread, a queue's wake-up) that lost every kill of a
process looping on a thread, and could keep a stopping consumer polling.
"""
from __future__ import annotations

import asyncio
from typing import Any, Coroutine, Generator


def _delegate(coro: Coroutine, pending: Any) -> Generator[Any, Any, Any]:
    """What `yield from coro` does, for a coroutine that already yielded `pending`."""
    while True:
        try:
            sent = yield pending
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # noqa: BLE001 - thrown in (cancellation): pass it on
            try:
                pending = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                pending = coro.send(sent)
            except StopIteration as stop:
                return stop.value


class _Rest:
    """An awaitable for the rest of a coroutine that has started and is waiting."""
    __slots__ = ("coro", "pending")

    def __init__(self, coro: Coroutine, pending: Any):
        self.coro, self.pending = coro, pending

    def __await__(self) -> Generator[Any, Any, Any]:
        return _delegate(self.coro, self.pending)


async def run_until(coro: Coroutine, deadline: float | None) -> Any:
    """`await coro`, failing with TimeoutError at loop time `deadline` (None: no limit)."""
    try:
        pending = coro.send(None)
    except StopIteration as stop:
        return stop.value          # finished without waiting: no timer was needed
    if deadline is None:
        return await _Rest(coro, pending)
    async with asyncio.timeout_at(deadline):
        return await _Rest(coro, pending)
