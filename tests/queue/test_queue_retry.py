"""D2: a nack counts the attempt, retries after backoff, dead-letters after max_attempts."""
from __future__ import annotations

import asyncio
import time

import pytest

from wippy.queue import MemoryDriver, MemoryQueueOptions, Queue, RetryPolicy

pytestmark = pytest.mark.anyio


def test_backoff_grows_by_factor_and_is_capped():
    policy = RetryPolicy(initial_delay=1, max_delay=60, factor=2, jitter=0)
    assert [policy.delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert policy.delay(10_000) == 60  # no overflow for huge attempt counts


def test_jitter_spreads_within_bounds():
    policy = RetryPolicy(initial_delay=10, max_delay=60, factor=2, jitter=0.1)
    assert policy.delay(1, rand=lambda: 0.0) == pytest.approx(9.0)
    assert policy.delay(1, rand=lambda: 1.0) == pytest.approx(11.0)
    assert policy.delay(1, rand=lambda: 0.5) == pytest.approx(10.0)


def make_queues(retry: RetryPolicy, max_attempts: int = 3, dlq_length: int = 100):
    driver = MemoryDriver("t:driver")
    driver.declare("failed", MemoryQueueOptions(max_length=dlq_length, publish_timeout=0))
    driver.declare("jobs")
    dlq = Queue("t:failed", "failed", driver)
    jobs = Queue("t:jobs", "jobs", driver, retry=retry, dead_letter=dlq, max_attempts=max_attempts)
    return driver, jobs, dlq


async def test_nack_retries_with_backoff_then_dead_letters():
    retry = RetryPolicy(initial_delay=0.02, max_delay=1, factor=2, jitter=0)
    driver, jobs, dlq = make_queues(retry, max_attempts=3)
    await driver.start()
    sent = jobs.publish_nowait({"task": 1}, {"correlation_id": "c1"})
    sub = await jobs.subscribe(prefetch=1)
    seen = []
    for attempt in range(1, 4):
        d = await asyncio.wait_for(sub.receive(), 2)
        seen.append(time.monotonic())
        assert d.attempt == attempt
        await jobs.nack(d, f"failure {attempt}")
    gaps = [b - a for a, b in zip(seen, seen[1:])]
    assert gaps[0] >= 0.018 and gaps[1] >= 0.038  # 0.02 then 0.04
    assert jobs.info()["message_count"] == 0 and jobs.info()["delayed"] == 0
    dead = await asyncio.wait_for((await dlq.subscribe(prefetch=1)).receive(), 2)
    assert dead.message.id == sent.id
    assert dead.message.body == {"task": 1}
    headers = dead.message.headers
    assert headers["attempts"] == 3
    assert headers["last_error"] == "failure 3"
    assert headers["original_queue"] == "t:jobs"
    assert headers["correlation_id"] == "c1"
    assert dead.message.attempts == 0
    await driver.stop()


async def test_without_dead_letter_retries_forever_with_capped_delay():
    driver = MemoryDriver("t:driver")
    driver.declare("jobs")
    retry = RetryPolicy(initial_delay=0.001, max_delay=0.004, factor=2, jitter=0)
    jobs = Queue("t:jobs", "jobs", driver, retry=retry)
    await driver.start()
    jobs.publish_nowait("poison")
    sub = await jobs.subscribe(prefetch=1)
    for attempt in range(1, 8):
        d = await asyncio.wait_for(sub.receive(), 2)
        assert d.attempt == attempt
        await jobs.nack(d, "still failing")
    assert retry.delay(7) == 0.004
    await driver.stop()


async def test_full_dead_letter_queue_keeps_the_message():
    retry = RetryPolicy(initial_delay=0, max_delay=0.01, factor=2, jitter=0)
    driver, jobs, dlq = make_queues(retry, max_attempts=1, dlq_length=1)
    await driver.start()
    dlq.publish_nowait("occupying the only slot")
    jobs.publish_nowait("poison")
    sub = await jobs.subscribe(prefetch=1)
    d = await asyncio.wait_for(sub.receive(), 2)
    await jobs.nack(d, "bad")
    again = await asyncio.wait_for(sub.receive(), 2)  # kept, retried at max_delay
    assert again.message.body == "poison" and again.attempt == 2
    await driver.stop()
