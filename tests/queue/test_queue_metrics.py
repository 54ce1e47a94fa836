"""Queue series at scrape time (wippy/ops/metrics.py) over a real memory driver and
consumer: a message that fails twice is retried then dead-lettered, and the counts show it."""
from __future__ import annotations

import pytest

from wippy.ops.metrics import Metrics
from wippy.queue import Consumer, MemoryDriver, Outcome, Queue, RetryPolicy

from .helpers import wait_until

pytestmark = pytest.mark.anyio


def scrape(metrics: Metrics) -> dict[str, float]:
    out = {}
    for line in metrics.render().decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


async def test_retried_dead_lettered_acked_nacked_and_depth():
    driver = MemoryDriver("t:driver")
    driver.declare("jobs")
    driver.declare("failed")
    dlq = Queue("t:failed", "failed", driver)
    jobs = Queue("t:jobs", "jobs", driver, dead_letter=dlq, max_attempts=2,
                 retry=RetryPolicy(initial_delay=0.001, max_delay=0.005, factor=2, jitter=0))

    async def invoke(_call, delivery):
        return Outcome(delivery.message.body != "bad", "boom")

    consumer = Consumer("t:consumer", jobs, invoke, func_id="t:h", concurrency=2, prefetch=2)
    objects = {"t:failed": dlq, "t:jobs": jobs, "t:consumer": consumer}
    metrics = Metrics(dict, lambda: objects)
    await driver.start()
    await consumer.start()
    try:
        for body in ("ok1", "bad", "ok2"):
            jobs.publish_nowait(body)
        await wait_until(lambda: dlq.info()["ready"] == 1, what="the bad message dead-lettered")
        got = scrape(metrics)
        assert got['wippy_queue_acked_total{queue="t:jobs"}'] == 2
        assert got['wippy_queue_nacked_total{queue="t:jobs"}'] == 2
        assert got['wippy_queue_retried_total{queue="t:jobs"}'] == 1
        assert got['wippy_queue_dead_lettered_total{queue="t:jobs"}'] == 1
        assert got['wippy_queue_ready{queue="t:failed"}'] == 1   # nobody consumes the DLQ
        assert got['wippy_queue_ready{queue="t:jobs"}'] == 0
        assert got['wippy_consumer_workers{consumer="t:consumer"}'] == 2
    finally:
        await consumer.stop()
        await driver.stop()
