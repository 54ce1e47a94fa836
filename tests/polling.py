"""Poll with a deadline, never sleep for a fixed time: the test suite's wait helpers.

`wait_until` is for async tests (it yields to the loop between polls); `poll_until` is for
tests that drive a subprocess or a thread from synchronous code.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any, Callable


async def wait_until(cond: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    """Return once `cond()` is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.002)   # polling interval, not a wait for work


def poll_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02,
               message: str = "") -> Any:
    """Return `predicate()`'s first truthy value; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)         # polling interval, not a wait for work
    raise AssertionError(f"timed out after {timeout}s: {message or predicate}; last={last!r}")
