"""What only the memory driver does: default bound, drop count on stop."""
from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from wippy.queue import MemoryDriver, MemoryQueueOptions, QueueFull, new_message

from .helpers import wait_until

pytestmark = pytest.mark.anyio


@contextlib.asynccontextmanager
async def one_queue(max_length: int, publish_timeout: float):
    """A started memory driver with one queue "q"; stopped afterwards."""
    driver = MemoryDriver("app:driver")
    driver.declare("q", MemoryQueueOptions(max_length=max_length, publish_timeout=publish_timeout))
    await driver.start()
    try:
        yield driver
    finally:
        await driver.stop()


async def test_default_bound_is_1000_and_zero_means_default():
    driver = MemoryDriver("app:driver")
    driver.declare("a")
    driver.declare("b", MemoryQueueOptions(max_length=0))
    assert driver.info("a")["max_length"] == 1000
    assert driver.info("b")["max_length"] == 1000


async def test_stop_logs_how_many_messages_it_drops(caplog):
    driver = MemoryDriver("app:driver")
    driver.declare("q")
    await driver.start()
    for i in range(3):
        driver.publish_nowait("q", new_message(i))
    sub = await driver.subscribe("q", prefetch=1)
    d = await asyncio.wait_for(sub.receive(), 2)
    d.message.attempts = 1
    await driver.retry(d, 60)  # a delayed retry is dropped too
    with caplog.at_level(logging.INFO, logger="wippy.app:driver"):
        await driver.stop()
    record = next(r for r in caplog.records if "dropped" in r.getMessage())
    assert record.levelno == logging.WARNING
    assert record.fields["dropped"] == 3
    assert record.fields["queues"] == {"q": 3}


async def test_clean_stop_logs_zero(caplog):
    driver = MemoryDriver("app:driver")
    driver.declare("q")
    await driver.start()
    with caplog.at_level(logging.INFO, logger="wippy.app:driver"):
        await driver.stop()
    assert [r.fields["dropped"] for r in caplog.records] == [0]


async def test_waiting_publishers_are_served_in_order_and_new_ones_queue_behind():
    """Room that frees goes to the oldest waiting publisher, never to a newcomer.

    Before this rule a publish that found room could take it from a publisher
    woken a moment earlier, which then went to the back; under sustained
    overload an unlucky request lost every race until its bound ran out (500s).
    """
    async with one_queue(1, 5) as driver:
        driver.publish_nowait("q", new_message("occupant"))
        waiting = []
        for i in range(3):
            waiting.append(asyncio.create_task(driver.publish("q", new_message(f"w{i}"))))
            await wait_until(lambda: len(driver.queues["q"].space_waiters) == i + 1,
                             what=f"publisher w{i} waiting")
        sub = await driver.subscribe("q", prefetch=1)
        got = [await sub.receive()]   # ready at once: no task switch before the next line
        # The freed slot already holds w0's message: a newcomer finds no room.
        with pytest.raises(QueueFull):
            driver.publish_nowait("q", new_message("late"))
        late = asyncio.create_task(driver.publish("q", new_message("late")))
        for _ in range(4):
            got.append(await asyncio.wait_for(sub.receive(), 2))
        assert [d.message.body for d in got] == ["occupant", "w0", "w1", "w2", "late"]
        await asyncio.wait_for(asyncio.gather(*waiting, late), 2)


async def test_a_publisher_that_gave_up_leaves_no_message_and_blocks_nobody():
    async with one_queue(1, 0.02) as driver:
        driver.publish_nowait("q", new_message("occupant"))
        with pytest.raises(QueueFull):
            await driver.publish("q", new_message("gave up"))
        sub = await driver.subscribe("q", prefetch=1)
        first = await asyncio.wait_for(sub.receive(), 2)
        await driver.ack(first)
        driver.publish_nowait("q", new_message("next"))   # room, and no live waiter ahead
        second = await asyncio.wait_for(sub.receive(), 2)
        assert (first.message.body, second.message.body) == ("occupant", "next")
        assert driver.info("q")["message_count"] == 0


async def test_waiting_publishers_time_out_in_order_with_one_timer():
    """Every waiter gets the queue's bound; one sweeper timer expires them in turn."""
    async with one_queue(1, 0.05) as driver:
        driver.publish_nowait("q", new_message("occupant"))
        loop = asyncio.get_running_loop()
        started = loop.time()
        first = asyncio.create_task(driver.publish("q", new_message("a")))
        await asyncio.sleep(0.02)   # the second waiter's bound ends 20 ms after the first's
        second = asyncio.create_task(driver.publish("q", new_message("b")))
        with pytest.raises(QueueFull):
            await first
        first_done = loop.time() - started
        assert not second.done()           # its own bound has not passed yet
        with pytest.raises(QueueFull):
            await second
        assert 0.045 <= first_done < 1.0
        assert loop.time() - started >= 0.065
        q = driver.queues["q"]
        assert not q.space_waiters and q.sweeper is None
        assert driver.info("q")["message_count"] == 1   # nothing of theirs was appended
