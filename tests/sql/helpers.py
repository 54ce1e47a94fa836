"""Helpers for SQL tests: poll with a deadline instead of sleeping."""
from __future__ import annotations

import asyncio
import time
from typing import Callable


async def wait_until(cond: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.002)
