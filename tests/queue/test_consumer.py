"""The consumer runtime with a Python stand-in handler: bounds, D1, logging, stop."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field

import pytest

from wippy.errors import WippyError
from wippy.queue import (ACK, ACKED, NACK, Consumer, MemoryDriver, MemoryQueueOptions, Outcome,
                         Queue, RetryPolicy, outcome_of)

from .helpers import max_overlap, wait_until

pytestmark = pytest.mark.anyio
FAST_RETRY = RetryPolicy(initial_delay=0.001, max_delay=0.005, factor=2, jitter=0)


@contextlib.asynccontextmanager
async def consuming(invoke, concurrency=1, prefetch=10, retry=FAST_RETRY, stop_timeout=5.0,
                    max_length=1000, start=True):
    driver = MemoryDriver("t:driver")
    driver.declare("jobs", MemoryQueueOptions(max_length=max_length))
    queue = Queue("t:jobs", "jobs", driver, retry=retry)
    consumer = Consumer("t:consumer", queue, invoke, func_id="t:handler",
                        concurrency=concurrency, prefetch=prefetch, stop_timeout=stop_timeout)
    await driver.start()
    if start:
        await consumer.start()
    try:
        yield queue, consumer
    finally:
        await consumer.stop()
        await driver.stop()


@pytest.mark.parametrize("concurrency,prefetch", [(2, 1), (3, 2), (1, 5)])
async def test_in_flight_and_buffer_bounds(concurrency, prefetch):
    intervals: list[tuple[float, float]] = []
    samples: list[tuple[int, int]] = []
    holder = {}

    async def invoke(body, delivery):
        start = time.monotonic()
        stats = holder["consumer"].stats()
        samples.append((stats["buffered"], holder["queue"].info()["in_flight"]))
        await asyncio.sleep(0.005)  # the work itself
        intervals.append((start, time.monotonic()))
        return ACKED

    async with consuming(invoke, concurrency, prefetch) as (queue, consumer):
        holder.update(consumer=consumer, queue=queue)
        for i in range(20):
            queue.publish_nowait(i)
        await wait_until(lambda: len(intervals) == 20, what="20 handled")
    assert max_overlap(intervals) == concurrency
    assert max(b for b, _ in samples) <= prefetch
    # Removed from the queue but unsettled: in flight + buffered + the one the pump holds.
    assert max(f for _, f in samples) <= concurrency + prefetch + 1


@dataclass
class FakeResult:
    values: list = field(default_factory=list)
    error: WippyError | None = None
    raised: bool = False


@pytest.mark.parametrize("result,ok", [
    (FakeResult([True]), True),
    (FakeResult([]), True),                      # nothing returned
    (FakeResult([None]), True),                  # nil
    (FakeResult(["done", 3]), True),             # any other value
    (FakeResult([0]), True),
    (FakeResult([False]), False),                # false -> nack (D1)
    (FakeResult([None], WippyError("db down")), False),            # nil, err
    (FakeResult([], WippyError("app:h:3: boom"), raised=True), False),  # error()
])
def test_d1_outcome_table(result, ok):
    outcome = outcome_of(result)
    assert outcome.ok is ok
    if not ok:
        assert outcome.error == (result.error.message if result.error else "handler returned false")


async def test_failed_messages_are_retried_with_the_attempt_counted():
    attempts: list[tuple[str, int]] = []

    async def invoke(body, delivery):
        attempts.append((body, delivery.attempt))
        if body == "flaky" and delivery.attempt < 3:
            return Outcome(False, "not yet")
        return ACKED

    async with consuming(invoke) as (queue, consumer):
        queue.publish_nowait("flaky")
        queue.publish_nowait("fine")
        await wait_until(lambda: consumer.acked == 2, what="both acked")
        assert consumer.nacked == 2
    assert [a for b, a in attempts if b == "flaky"] == [1, 2, 3]
    assert [a for b, a in attempts if b == "fine"] == [1]


async def test_explicit_settlement_stands_and_is_single_shot():
    errors: dict[str, str] = {}

    async def invoke(body, delivery):
        delivery.settle(ACK if body == "ack-then-fail" else NACK)
        with pytest.raises(WippyError, match="^queue.Message already settled$"):
            delivery.settle(ACK)
        if body == "ack-then-fail":
            return Outcome(False, "failed after ack")
        return ACKED

    delivered = []

    async def recording(body, delivery):
        delivered.append(delivery)
        if body == "nack-then-ok" and delivery.attempt > 1:
            return ACKED
        try:
            return await invoke(body, delivery)
        except AssertionError as exc:  # surface pytest failures from inside the handler
            errors[body] = str(exc)
            return ACKED

    async with consuming(recording) as (queue, consumer):
        queue.publish_nowait("ack-then-fail")
        queue.publish_nowait("nack-then-ok")
        await wait_until(lambda: consumer.acked == 2, what="two acks")
        assert consumer.nacked == 1  # only the explicit nack
    assert not errors
    for d in delivered:
        with pytest.raises(WippyError, match="^queue.Message released$"):
            d.settle(ACK)
        with pytest.raises(WippyError, match="^queue.Message released$"):
            d.check_usable()


async def test_failure_is_logged_with_context(caplog):
    async def invoke(body, delivery):
        return Outcome(False, "app:h:7: database unavailable")

    with caplog.at_level(logging.WARNING, logger="wippy.t:consumer"):
        async with consuming(invoke) as (queue, consumer):
            sent = queue.publish_nowait("x")
            await wait_until(lambda: consumer.nacked >= 1)
    record = next(r for r in caplog.records if r.getMessage() == "message processing failed")
    # No dead letter queue: the message is retried, an expected event, so WARN not ERROR.
    assert record.levelno == logging.WARNING
    assert record.fields == {"consumer": "t:consumer", "queue": "t:jobs", "func": "t:handler",
                             "worker_id": 0, "message_id": sent.id, "attempt": 1,
                             "error": "app:h:7: database unavailable", "retry": True}


async def test_retried_attempts_warn_and_the_dead_lettered_one_is_an_error(caplog):
    async def invoke(body, delivery):
        return Outcome(False, f"failure {delivery.attempt}")

    driver = MemoryDriver("t:driver")
    driver.declare("jobs", MemoryQueueOptions())
    driver.declare("dead", MemoryQueueOptions())
    dlq = Queue("t:dead", "dead", driver)
    queue = Queue("t:jobs", "jobs", driver, retry=FAST_RETRY, dead_letter=dlq, max_attempts=3)
    consumer = Consumer("t:consumer", queue, invoke, func_id="t:handler")
    await driver.start()
    await consumer.start()
    try:
        with caplog.at_level(logging.INFO):
            sent = queue.publish_nowait("x")
            await wait_until(lambda: dlq.info()["ready"] == 1)
    finally:
        await consumer.stop()
        await driver.stop()
    failed = [r for r in caplog.records if r.getMessage() == "message processing failed"]
    assert [(r.levelno, r.fields["attempt"], r.fields["error"]) for r in failed] == [
        (logging.WARNING, 1, "failure 1"), (logging.WARNING, 2, "failure 2"),
        (logging.ERROR, 3, "failure 3")]
    assert failed[2].fields["dead_letter"] == "t:dead"
    assert "retry" not in failed[2].fields and failed[2].fields["message_id"] == sent.id
    moved = [r for r in caplog.records if r.getMessage() == "message dead-lettered"]
    assert len(moved) == 1 and moved[0].levelno == logging.INFO
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r not in failed]


async def test_python_exception_in_invoke_nacks(caplog):
    async def invoke(body, delivery):
        if delivery.attempt == 1:
            raise RuntimeError("bug")
        return ACKED

    with caplog.at_level(logging.ERROR, logger="wippy.t:consumer"):
        async with consuming(invoke) as (queue, consumer):
            queue.publish_nowait("x")
            await wait_until(lambda: consumer.acked == 1)
    assert consumer.nacked == 1
    assert any(r.getMessage() == "handler invocation failed" for r in caplog.records)


async def test_stop_lets_in_flight_finish_and_returns_prefetched_in_order():
    gate = asyncio.Event()
    started = []

    async def invoke(body, delivery):
        started.append(body)
        await gate.wait()
        return ACKED

    async with consuming(invoke, concurrency=1, prefetch=3, start=False) as (queue, consumer):
        for i in range(6):
            queue.publish_nowait(i)
        await consumer.start()
        await wait_until(lambda: started == [0] and consumer.stats()["buffered"] == 3,
                         what="one running, three buffered")
        stopping = asyncio.create_task(consumer.stop())
        await wait_until(lambda: queue.info()["ready"] == 5, what="unstarted returned")
        assert not stopping.done()  # still waiting for the in-flight handler
        gate.set()
        await asyncio.wait_for(stopping, 2)
        assert consumer.acked == 1
        assert queue.info()["in_flight"] == 0
        sub = await queue.subscribe(prefetch=1)
        order = []
        for _ in range(5):
            d = await asyncio.wait_for(sub.receive(), 2)
            order.append((d.message.body, d.attempt))
            await queue.ack(d)
        assert order == [(1, 1), (2, 1), (3, 1), (4, 1), (5, 1)]


async def test_stop_timeout_cancels_and_counts_the_attempt(caplog):
    async def invoke(body, delivery):
        await asyncio.Event().wait()  # hangs
        return ACKED

    retry = RetryPolicy(initial_delay=60, max_delay=60, jitter=0)
    with caplog.at_level(logging.WARNING, logger="wippy.t:consumer"):
        async with consuming(invoke, stop_timeout=0.05, retry=retry) as (queue, consumer):
            queue.publish_nowait("stuck")
            await wait_until(lambda: consumer.stats()["in_flight"] == 1)
            await asyncio.wait_for(consumer.stop(), 2)
            assert queue.info()["delayed"] == 1  # nacked: attempt counted, waits for retry
    messages = [r.getMessage() for r in caplog.records]
    assert "consumer stop timed out" in messages
    assert "message processing failed" in messages


async def test_driver_going_away_fails_the_consumer():
    async def invoke(body, delivery):
        return ACKED

    async with consuming(invoke) as (queue, consumer):
        waiter = asyncio.create_task(consumer.wait())
        await queue.driver.stop()
        with pytest.raises(WippyError, match="^queue is closed$"):
            await asyncio.wait_for(waiter, 2)


async def test_wait_returns_after_stop():
    async def invoke(body, delivery):
        return ACKED

    async with consuming(invoke) as (queue, consumer):
        waiter = asyncio.create_task(consumer.wait())
        await consumer.stop()
        await asyncio.wait_for(waiter, 2)


async def test_publishing_from_threads_while_consuming():
    seen: list[int] = []

    async def invoke(body, delivery):
        seen.append(body)
        return ACKED

    async with consuming(invoke, concurrency=4, prefetch=16, max_length=100_000) as (queue, consumer):
        def publish(offset):
            for i in range(1000):
                queue.publish_nowait(offset + i)

        threads = [threading.Thread(target=publish, args=(k * 10_000,)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        await wait_until(lambda: len(seen) == 3000, what="3000 handled")
    assert sorted(seen) == sorted(k * 10_000 + i for k in range(3) for i in range(1000))


async def test_restart_after_stop():
    seen = []

    async def invoke(body, delivery):
        seen.append(body)
        return ACKED

    async with consuming(invoke) as (queue, consumer):
        await consumer.stop()
        queue.publish_nowait("after restart")
        await consumer.start()
        await wait_until(lambda: seen == ["after restart"])


async def test_a_busy_consumer_never_holds_the_loop_for_long():
    """Messages that need no wait run back to back, but the worker yields every few ms."""
    from wippy.queue.consumer import HOLD_LIMIT

    handled = []

    async def invoke(body, delivery):   # ~20 us of work, and never suspends
        end = time.perf_counter() + 20e-6
        while time.perf_counter() < end:
            pass
        handled.append(body)
        return ACKED

    gaps = []

    async def ticker():
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(0)
            now = loop.time()
            gaps.append(now - last)
            last = now

    async with consuming(invoke, concurrency=1, prefetch=4000, max_length=12000,
                         start=False) as (queue, consumer):
        for i in range(12000):
            queue.publish_nowait(i)
        tick = asyncio.create_task(ticker())
        await consumer.start()
        await wait_until(lambda: len(handled) == 12000, what="all handled", timeout=30)
        tick.cancel()
    # Without the yields the pump would buffer 4000 messages in one go and the worker
    # would then run them all (~80 ms) before anything else got the loop, three times.
    assert HOLD_LIMIT <= 0.005
    # One long gap is tolerated (a garbage collection in a loaded test process can
    # take that long); without the yields there are three.
    assert sorted(gaps)[-2] < 0.04
