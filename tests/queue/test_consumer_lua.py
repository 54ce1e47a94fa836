"""Consumer + real Lua handlers: the D1 settlement table, dead letters, queue.message()."""
from __future__ import annotations

import asyncio
import logging

import pytest

from wippy.lua.engine import LuaEngine
from wippy.lua.modules.queue.module import QueueModule
from wippy.queue import Consumer, MemoryDriver, Queue, RetryPolicy, lua_invoker

from .helpers import wait_until

pytestmark = pytest.mark.anyio

HANDLER = """
local queue = require("queue")
local cases = {
    ["true"] = function() return true end,
    ["false"] = function() return false end,
    nothing = function() end,
    ["nil"] = function() return nil end,
    string = function() return "done" end,
    table = function() return {ok = false} end,
    nil_err = function() return nil, "db down" end,
    raise = function() error("boom") end,
    runtime = function() local t = nil; return t.x end,
    ack_then_false = function(msg) msg:ack(); return false end,
    nack_then_true = function(msg) msg:nack(); return true end,
    false_err = function() return false, "rejected" end,
}
return {main = function(body)
    local msg, err = queue.message()
    if err then error("no message: " .. tostring(err)) end
    return cases[body.case](msg)
end}
"""

EXPECT_NACK = {
    "false": "handler returned false",
    "nil_err": "db down",
    "raise": "boom",
    "runtime": "attempt to index",
    "nack_then_true": "message nacked by handler",
    "false_err": "rejected",
}
EXPECT_ACK = {"true", "nothing", "nil", "string", "table", "ack_then_false"}


async def test_d1_settlement_through_real_lua(caplog):
    driver = MemoryDriver("app:driver")
    driver.declare("jobs")
    driver.declare("failed")
    dlq = Queue("app:failed", "failed", driver)
    jobs = Queue("app:jobs", "jobs", driver, dead_letter=dlq, max_attempts=1,
                 retry=RetryPolicy(initial_delay=60, jitter=0))
    engine = LuaEngine({"app:jobs": jobs, "app:failed": dlq},
                       modules={"queue": QueueModule()}, workers=2)
    await engine.start()
    await driver.start()
    fdef = engine.define("app:handler", HANDLER, "main", ["queue"])
    consumer = Consumer("app:consumer", jobs, lua_invoker(engine, fdef), func_id="app:handler",
                        concurrency=3, prefetch=4)
    await consumer.start()
    try:
        for case in sorted(EXPECT_ACK | set(EXPECT_NACK)):
            jobs.publish_nowait({"case": case})
        total = len(EXPECT_ACK) + len(EXPECT_NACK)
        with caplog.at_level(logging.WARNING):
            await wait_until(lambda: consumer.acked + consumer.nacked == total, what="all settled")
            await wait_until(lambda: dlq.info()["ready"] == len(EXPECT_NACK), what="dead letters")
        assert consumer.acked == len(EXPECT_ACK)
        sub = await dlq.subscribe(prefetch=1)
        dead = {}
        for _ in range(len(EXPECT_NACK)):
            d = await asyncio.wait_for(sub.receive(), 2)
            dead[d.message.body["case"]] = d.message.headers
            await dlq.ack(d)
        assert set(dead) == set(EXPECT_NACK)
        for case, fragment in EXPECT_NACK.items():
            assert fragment in dead[case]["last_error"], (case, dead[case])
            assert dead[case]["attempts"] == 1
        assert "app:handler:" in dead["raise"]["last_error"]  # chunk named by entry id
        failed = [r for r in caplog.records if r.getMessage() == "message processing failed"]
        assert len(failed) == len(EXPECT_NACK)
    finally:
        await consumer.stop()
        await driver.stop()
        await engine.close()


async def test_handler_publishes_to_another_queue():
    """A consumer handler that publishes (worker-thread publish inside a consumer call)."""
    driver = MemoryDriver("app:driver")
    driver.declare("in")
    driver.declare("out")
    q_in, q_out = Queue("app:in", "in", driver), Queue("app:out", "out", driver)
    engine = LuaEngine({"app:in": q_in, "app:out": q_out},
                       modules={"queue": QueueModule()}, workers=2)
    await engine.start()
    await driver.start()
    src = """
    local queue = require("queue")
    return {main = function(body)
        local msg = queue.message()
        return queue.publish("out", {n = body.n * 2, from = msg:id()})
    end}
    """
    fdef = engine.define("app:doubler", src, "main", ["queue"])
    consumer = Consumer("app:c", q_in, lua_invoker(engine, fdef), concurrency=2, prefetch=8)
    await consumer.start()
    try:
        sent = [q_in.publish_nowait({"n": i}) for i in range(200)]
        await wait_until(lambda: q_out.info()["ready"] == 200, what="200 outputs")
        sub = await q_out.subscribe(prefetch=1)
        outs = []
        for _ in range(200):
            d = await asyncio.wait_for(sub.receive(), 2)
            outs.append(d.message.body)
            await q_out.ack(d)
        assert sorted(o["n"] for o in outs) == [2 * i for i in range(200)]
        assert {o["from"] for o in outs} == {m.id for m in sent}
    finally:
        await consumer.stop()
        await driver.stop()
        await engine.close()


async def test_poison_message_is_dead_lettered_without_blocking_healthy_ones():
    """Plan case 21: exactly max_attempts spaced by backoff, then the DLQ with the last
    error; 50 healthy messages flow meanwhile; no core is pinned during the backoff."""
    import resource
    import time

    driver = MemoryDriver("app:driver")
    driver.declare("jobs")
    driver.declare("failed")
    failed = Queue("app:failed", "failed", driver)
    jobs = Queue("app:jobs", "jobs", driver,
                 retry=RetryPolicy(initial_delay=0.1, max_delay=1, factor=2, jitter=0.1),
                 dead_letter=failed, max_attempts=3)
    engine = LuaEngine({"app:jobs": jobs, "app:failed": failed},
                       modules={"queue": QueueModule()}, workers=1)
    await engine.start()
    await driver.start()
    src = """return {main = function(body)
        if body.poison then error("poisoned " .. body.n) end
        return true
    end}"""
    fdef = engine.define("app:worker", src, "main", [])
    attempts: list[float] = []
    invoke = lua_invoker(engine, fdef)

    async def recording(body, delivery):
        if body.get("poison"):
            attempts.append(time.monotonic())
        return await invoke(body, delivery)

    consumer = Consumer("app:c", jobs, recording, concurrency=2, prefetch=4)
    await consumer.start()
    try:
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        wall0 = time.monotonic()
        jobs.publish_nowait({"poison": True, "n": 0})
        for i in range(50):
            jobs.publish_nowait({"n": i + 1})
        await wait_until(lambda: failed.info()["ready"] == 1, 5, what="dead letter")
        wall = time.monotonic() - wall0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        assert len(attempts) == 3
        gaps = [b - a for a, b in zip(attempts, attempts[1:])]
        assert gaps[0] >= 0.09 and gaps[1] >= 0.18, gaps     # 0.1 then 0.2, ±10 %
        assert jobs.info()["message_count"] == 0             # every healthy one done
        cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
        assert cpu < 0.8 * wall, f"{cpu:.2f}s CPU in {wall:.2f}s: a core was pinned"
        dead = await asyncio.wait_for((await failed.subscribe(prefetch=1)).receive(), 2)
        assert dead.message.body == {"poison": True, "n": 0}
        assert dead.message.headers["attempts"] == 3
        assert "poisoned 0" in dead.message.headers["last_error"]
    finally:
        await consumer.stop()
        await driver.stop()
        await engine.close()
