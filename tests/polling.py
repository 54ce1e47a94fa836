"""Poll with a deadline, never sleep for a fixed time: the one async wait helper."""
from __future__ import annotations

import asyncio
import time
from typing import Callable


async def wait_until(cond: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    """Return once `cond()` is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.002)   # polling interval, not a wait for work
