"""Per-queue counts and retry log levels on every driver (memory, sqlite, amqp): every way
of publishing is counted once it is accepted, a refused one is not; a failing message is
retried with WARN lines and dead-lettered with one ERROR line; /metrics shows the counts."""
from __future__ import annotations

import inspect
import logging

import pytest

from wippy.ops.metrics import Metrics
from wippy.queue import Consumer, Outcome, Queue, RetryPolicy, new_message

from .helpers import wait_until
from .test_queue_metrics import scrape

pytestmark = pytest.mark.anyio

FAST = RetryPolicy(initial_delay=0.001, max_delay=0.005, factor=2, jitter=0)


async def test_published_counts_every_accepted_publish(driver_case, tmp_path):
    driver = driver_case.make(tmp_path)
    driver.declare("jobs", driver_case.options(5, 0.05))
    jobs = Queue("t:jobs", "jobs", driver)
    await driver.start()
    try:
        jobs.publish_nowait({"n": 1})
        assert jobs.try_publish(new_message({"n": 2})) is True
        stored = jobs.try_publish_durable(new_message({"n": 3}))
        if inspect.isawaitable(stored):
            await stored
        await jobs.publish({"n": 4})
        await jobs.publish_message(new_message({"n": 5}))
        assert jobs.published == 5
        # Full (max_length 5): refused, so not counted.
        assert jobs.try_publish(new_message({"n": 6})) is False
        with pytest.raises(Exception):
            await jobs.publish_message(new_message({"n": 7}))
        assert jobs.published == 5
        await wait_until(lambda: jobs.info()["ready"] == 5, what="five messages ready")
    finally:
        await driver.stop()


async def test_retries_warn_dead_letter_errors_and_metrics(driver_case, tmp_path, caplog):
    driver = driver_case.make(tmp_path)
    driver.declare("jobs", driver_case.options(100, 0.05))
    driver.declare("failed", driver_case.options(100, 0.05))
    dlq = Queue("t:failed", "failed", driver)
    jobs = Queue("t:jobs", "jobs", driver, dead_letter=dlq, max_attempts=3, retry=FAST)

    async def invoke(_body, delivery):
        return Outcome(delivery.message.body != "bad", f"boom {delivery.attempt}")

    consumer = Consumer("t:consumer", jobs, invoke, func_id="t:h", concurrency=2, prefetch=2)
    objects = {"t:failed": dlq, "t:jobs": jobs, "t:consumer": consumer}
    metrics = Metrics(dict, lambda: objects)
    await driver.start()
    await consumer.start()
    try:
        with caplog.at_level(logging.INFO):
            for body in ("ok1", "bad", "ok2"):
                await jobs.publish(body)
            # dead_lettered counts once the dead letter queue confirmed the publish
            await wait_until(lambda: jobs.dead_lettered == 1 and consumer.acked == 2,
                             timeout=15, what="the bad message dead-lettered")
        got = scrape(metrics)
    finally:
        await consumer.stop()
        await driver.stop()
    q = '{queue="t:jobs"}'
    assert got[f"wippy_queue_published_total{q}"] == 3
    assert got['wippy_queue_published_total{queue="t:failed"}'] == 1
    assert got[f"wippy_queue_acked_total{q}"] == 2
    assert got[f"wippy_queue_nacked_total{q}"] == 3
    assert got[f"wippy_queue_retried_total{q}"] == 2
    assert got[f"wippy_queue_dead_lettered_total{q}"] == 1
    failed = [r for r in caplog.records if r.getMessage() == "message processing failed"]
    assert [(r.levelname, r.fields["attempt"]) for r in failed] == [
        ("WARNING", 1), ("WARNING", 2), ("ERROR", 3)]
    assert failed[-1].fields["dead_letter"] == "t:failed"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == failed[-1:]
