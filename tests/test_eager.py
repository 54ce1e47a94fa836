"""wippy/aio.py run_until: a deadline that costs nothing for coroutines that never wait."""
from __future__ import annotations

import asyncio

import pytest

from wippy.aio import run_until

pytestmark = pytest.mark.anyio


async def test_a_coroutine_that_never_waits_sets_no_timer():
    loop = asyncio.get_running_loop()

    async def quick():
        return 42

    before = len(loop._scheduled)
    assert await run_until(quick(), loop.time() + 10) == 42
    assert len(loop._scheduled) == before


async def test_errors_raised_before_any_wait_propagate():
    async def broken():
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        await run_until(broken(), asyncio.get_running_loop().time() + 10)


async def test_a_waiting_coroutine_gets_its_result_and_sent_values():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    async def waits():
        first = await fut
        await asyncio.sleep(0)
        return first * 2

    task = asyncio.create_task(run_until(waits(), loop.time() + 10))
    await asyncio.sleep(0)
    assert not task.done()
    fut.set_result(21)
    assert await task == 42


async def test_the_deadline_cancels_the_rest_and_raises_timeout():
    loop = asyncio.get_running_loop()
    seen = []

    async def slow():
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            seen.append("cancelled inside")
            raise

    started = loop.time()
    with pytest.raises(TimeoutError):
        await run_until(slow(), loop.time() + 0.05)
    assert seen == ["cancelled inside"]
    assert loop.time() - started < 5


async def test_outer_cancellation_reaches_the_coroutine():
    loop = asyncio.get_running_loop()
    seen = []

    async def waits_forever():
        try:
            await loop.create_future()
        finally:
            seen.append("cleaned up")

    task = asyncio.create_task(run_until(waits_forever(), None))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cleaned up"]


async def test_a_coroutine_may_handle_what_is_thrown_in():
    async def shrugs():
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            return "handled"

    task = asyncio.create_task(run_until(shrugs(), None))
    await asyncio.sleep(0)
    task.cancel()
    assert await task == "handled"
