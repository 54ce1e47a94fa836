"""The Driver contract (wippy/queue/driver.py), run against every driver in drivers.py."""
from __future__ import annotations

import asyncio
import contextlib
import threading
import time

import pytest

from wippy.errors import UNAVAILABLE, WippyError
from wippy.queue import QueueFull, new_message

from .helpers import wait_until

pytestmark = pytest.mark.anyio


@contextlib.asynccontextmanager
async def running(case, tmp_path, max_length=100, publish_timeout=0.05, name="q", start=True):
    driver = case.make(tmp_path)
    driver.declare(name, case.options(max_length, publish_timeout))
    if start:
        await driver.start()
    try:
        yield driver
    finally:
        await driver.stop()


async def receive(driver, name="q", timeout=2.0):
    sub = await driver.subscribe(name, prefetch=10)
    return await asyncio.wait_for(sub.receive(), timeout)


async def test_publish_before_start_and_declare_twice(driver_case, tmp_path):
    async with running(driver_case, tmp_path, start=False) as driver:
        driver.publish_nowait("q", new_message({"n": 1}))
        driver.declare("q", driver_case.options(100, 0.05))  # same queue, still one message
        assert driver.info("q")["message_count"] == 1
        assert driver.info("q")["ready"] == 1
        await driver.start()
        delivery = await receive(driver)
        assert delivery.message.body == {"n": 1}
        await driver.ack(delivery)


async def test_fifo_and_message_fields(driver_case, tmp_path):
    async with running(driver_case, tmp_path) as driver:
        sent = [new_message({"n": i}, {"k": "v"}) for i in range(3)]
        for m in sent:
            driver.publish_nowait("q", m)
        sub = await driver.subscribe("q", prefetch=10)
        for m in sent:
            d = await asyncio.wait_for(sub.receive(), 2)
            assert (d.message.id, d.message.body, d.message.attempts) == (m.id, m.body, 0)
            assert d.message.headers["k"] == "v"
            assert isinstance(d.message.headers["timestamp"], int)
            await driver.ack(d)
        assert driver.info("q")["message_count"] == 0


async def test_unknown_queue(driver_case, tmp_path):
    async with running(driver_case, tmp_path) as driver:
        with pytest.raises(WippyError, match="^queue not found$"):
            driver.publish_nowait("nope", new_message(1))
        with pytest.raises(WippyError, match="^queue not found$"):
            await driver.publish("nope", new_message(1))


async def test_full_queue_fails_fast_and_publish_waits_at_most_the_bound(driver_case, tmp_path):
    async with running(driver_case, tmp_path, max_length=2, publish_timeout=0.05) as driver:
        driver.publish_nowait("q", new_message(1))
        driver.publish_nowait("q", new_message(2))
        with pytest.raises(QueueFull) as exc:
            driver.publish_nowait("q", new_message(3))
        assert (exc.value.kind, exc.value.message) == (UNAVAILABLE, "queue full")
        started = time.monotonic()
        with pytest.raises(QueueFull, match="^queue full$"):
            await driver.publish("q", new_message(3))
        waited = time.monotonic() - started
        assert 0.04 <= waited < 1.0
        assert driver.info("q")["message_count"] == 2


async def test_publish_stops_at_a_deadline_before_the_bound(driver_case, tmp_path):
    async with running(driver_case, tmp_path, max_length=1, publish_timeout=5) as driver:
        driver.publish_nowait("q", new_message(1))
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimeoutError):
            await driver.publish("q", new_message(2), deadline=started + 0.05)
        assert 0.04 <= loop.time() - started < 1.0
        # A deadline after the bound changes nothing: the bound still answers QueueFull.
    async with running(driver_case, tmp_path, max_length=1, publish_timeout=0.05) as driver:
        driver.publish_nowait("q", new_message(1))
        with pytest.raises(QueueFull):
            await driver.publish("q", new_message(2), deadline=loop.time() + 30)
        assert driver.info("q")["message_count"] == 1


async def test_waiting_publish_succeeds_when_room_frees(driver_case, tmp_path):
    async with running(driver_case, tmp_path, max_length=1, publish_timeout=5) as driver:
        driver.publish_nowait("q", new_message("first"))
        waiting = asyncio.create_task(driver.publish("q", new_message("second")))
        await asyncio.sleep(0)
        assert not waiting.done()
        first = await receive(driver)
        await asyncio.wait_for(waiting, 2)
        await driver.ack(first)
        second = await receive(driver)
        assert second.message.body == "second"
        await driver.ack(second)


async def test_publish_from_other_threads_wakes_waiting_receivers(driver_case, tmp_path):
    async with running(driver_case, tmp_path, max_length=10_000) as driver:
        sub = await driver.subscribe("q", prefetch=10)
        waiting = asyncio.create_task(sub.receive())
        await asyncio.sleep(0)
        thread = threading.Thread(target=driver.publish_nowait, args=("q", new_message("x")))
        thread.start()
        delivery = await asyncio.wait_for(waiting, 2)
        thread.join()
        assert delivery.message.body == "x"
        await driver.ack(delivery)

        # Many publishers on threads, several receivers on the loop: each message once.
        received = []

        async def drain():
            while True:
                d = await sub.receive()
                received.append(d.message.body)
                await driver.ack(d)

        receivers = [asyncio.create_task(drain()) for _ in range(3)]

        def publish_many(offset):
            for i in range(500):
                driver.publish_nowait("q", new_message(offset + i))

        threads = [threading.Thread(target=publish_many, args=(k * 1000,)) for k in range(4)]
        for t in threads:
            t.start()
        await wait_until(lambda: len(received) == 2000, what="2000 messages")
        for t in threads:
            t.join()
        for r in receivers:
            r.cancel()
        await asyncio.gather(*receivers, return_exceptions=True)
        assert sorted(received) == sorted(k * 1000 + i for k in range(4) for i in range(500))


async def test_cancelled_receive_loses_nothing(driver_case, tmp_path):
    async with running(driver_case, tmp_path) as driver:
        sub = await driver.subscribe("q", prefetch=10)
        # Cancelled while waiting.
        waiting = asyncio.create_task(sub.receive())
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        driver.publish_nowait("q", new_message("a"))
        d = await asyncio.wait_for(sub.receive(), 2)
        assert d.message.body == "a"
        await driver.ack(d)
        # Cancelled right after the message was handed over, before the task resumed.
        waiting = asyncio.create_task(sub.receive())
        await asyncio.sleep(0)
        driver.publish_nowait("q", new_message("b"))
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            got = await waiting
            await driver.ack(got)  # the receive won the race: fine too
            return
        d = await asyncio.wait_for(sub.receive(), 2)
        assert d.message.body == "b"
        await driver.ack(d)


async def test_competing_subscriptions_get_each_message_once(driver_case, tmp_path):
    async with running(driver_case, tmp_path) as driver:
        subs = [await driver.subscribe("q", prefetch=10) for _ in range(2)]
        got: list[tuple[int, int]] = []

        async def drain(k, sub):
            while True:
                d = await sub.receive()
                got.append((k, d.message.body))
                await driver.ack(d)

        tasks = [asyncio.create_task(drain(k, s)) for k, s in enumerate(subs)]
        for i in range(50):
            driver.publish_nowait("q", new_message(i))
            await asyncio.sleep(0)
        await wait_until(lambda: len(got) == 50, what="50 messages")
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert sorted(body for _, body in got) == list(range(50))


async def test_retry_redelivers_after_delay_with_attempts_kept(driver_case, tmp_path):
    async with running(driver_case, tmp_path) as driver:
        driver.publish_nowait("q", new_message("job"))
        sub = await driver.subscribe("q", prefetch=10)
        d = await asyncio.wait_for(sub.receive(), 2)
        d.message.attempts += 1
        d.message.last_error = "boom"
        started = time.monotonic()
        await driver.retry(d, 0.05)
        assert driver.info("q")["ready"] == 0
        again = await asyncio.wait_for(sub.receive(), 2)
        assert time.monotonic() - started >= 0.045
        assert (again.message.id, again.message.attempts, again.message.last_error) == (
            d.message.id, 1, "boom")
        await driver.ack(again)


async def test_retry_is_never_refused_by_the_bound(driver_case, tmp_path):
    async with running(driver_case, tmp_path, max_length=1) as driver:
        driver.publish_nowait("q", new_message("old"))
        sub = await driver.subscribe("q", prefetch=10)
        d = await asyncio.wait_for(sub.receive(), 2)
        driver.publish_nowait("q", new_message("new"))  # queue full again
        d.message.attempts += 1
        await driver.retry(d, 0)
        bodies = []
        for _ in range(2):
            got = await asyncio.wait_for(sub.receive(), 2)
            bodies.append(got.message.body)
            await driver.ack(got)
        assert sorted(bodies) == ["new", "old"]


async def test_release_returns_to_head_without_counting(driver_case, tmp_path):
    async with running(driver_case, tmp_path) as driver:
        for body in ("a", "b"):
            driver.publish_nowait("q", new_message(body))
        sub = await driver.subscribe("q", prefetch=10)
        d = await asyncio.wait_for(sub.receive(), 2)
        await driver.release(d)
        again = await asyncio.wait_for(sub.receive(), 2)
        assert (again.message.body, again.message.attempts) == ("a", 0)
        await driver.ack(again)


async def test_info_counts(driver_case, tmp_path):
    async with running(driver_case, tmp_path) as driver:
        for i in range(3):
            driver.publish_nowait("q", new_message(i))
        info = driver.info("q")
        assert info["message_count"] == 3 and info["ready"] == 3
        d = await receive(driver)
        assert driver.info("q")["ready"] == 2
        await driver.ack(d)


async def test_stop_closes_and_start_reopens(driver_case, tmp_path):
    driver = driver_case.make(tmp_path)
    driver.declare("q", driver_case.options(10, 0.05))
    await driver.start()
    sub = await driver.subscribe("q", prefetch=10)
    waiting = asyncio.create_task(sub.receive())
    await asyncio.sleep(0)
    await driver.stop()
    with pytest.raises(WippyError, match="^queue is closed$"):
        await asyncio.wait_for(waiting, 2)
    with pytest.raises(WippyError, match="^queue is closed$"):
        driver.publish_nowait("q", new_message(1))
    await driver.start()
    try:
        driver.publish_nowait("q", new_message(2))
        d = await receive(driver)
        assert d.message.body == 2
        await driver.ack(d)
    finally:
        await driver.stop()


async def test_try_publish_returns_false_when_full_instead_of_raising(driver_case, tmp_path):
    async with running(driver_case, tmp_path, max_length=1) as driver:
        assert driver.try_publish("q", new_message("first")) is True
        assert driver.try_publish("q", new_message("second")) is False
        assert driver.info("q")["message_count"] == 1
        with pytest.raises(WippyError, match="^queue not found$"):
            driver.try_publish("nope", new_message(1))
