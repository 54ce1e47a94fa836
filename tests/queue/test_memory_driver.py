"""What only the memory driver does: default bound, drop count on stop."""
from __future__ import annotations

import asyncio
import logging

import pytest

from wippy.queue import MemoryDriver, MemoryQueueOptions, new_message

pytestmark = pytest.mark.anyio


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
