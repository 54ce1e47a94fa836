"""`retryable = false` is final on every driver: dead-lettered at once, or dropped with an
ERROR naming the message; other failures still retry up to max_attempts."""
from __future__ import annotations

import asyncio
import logging

import pytest

from wippy.lua.engine import LuaEngine
from wippy.lua.modules.errors.module import ErrorsModule
from wippy.lua.modules.queue.module import QueueModule
from wippy.queue import Consumer, Queue, RetryPolicy, lua_invoker

from .helpers import wait_until

pytestmark = pytest.mark.anyio

HANDLER = """
local errors = require("errors")
local queue = require("queue")
return {main = function(body)
    local msg = queue.message()
    if body.case == "returned" then
        return nil, errors.new({kind = errors.INVALID, message = "bad input", retryable = false})
    elseif body.case == "raised" then
        error(errors.new({kind = errors.INVALID, message = "never valid", retryable = false}))
    elseif body.case == "string" then
        return nil, "db down"          -- a plain string: retried as usual
    elseif body.case == "retryable" then
        return nil, errors.new({message = "try later", retryable = true})
    end
    return true
end}
"""


async def setup(case, tmp_path, with_dlq=True):
    driver = case.make(tmp_path)
    driver.declare("jobs", case.options(100, 0.05))
    driver.declare("failed", case.options(100, 0.05))
    dlq = Queue("app:failed", "failed", driver) if with_dlq else None
    jobs = Queue("app:jobs", "jobs", driver, dead_letter=dlq, max_attempts=3,
                 retry=RetryPolicy(initial_delay=0.01, max_delay=0.02, jitter=0))
    engine = LuaEngine({"app:jobs": jobs, "app:failed": dlq} if dlq else {"app:jobs": jobs},
                       modules={"queue": QueueModule(), "errors": ErrorsModule()}, workers=2)
    await engine.start()
    await driver.start()
    fdef = engine.define("app:handler", HANDLER, "main", ["queue", "errors"])
    attempts: dict[str, int] = {}
    invoke = lua_invoker(engine, fdef)

    async def counting(body, delivery):
        attempts[body["case"]] = attempts.get(body["case"], 0) + 1
        return await invoke(body, delivery)

    consumer = Consumer("app:consumer", jobs, counting, concurrency=2, prefetch=4)
    await consumer.start()
    return driver, engine, consumer, jobs, dlq, attempts


async def test_not_retryable_is_dead_lettered_at_once(driver_case, tmp_path):
    driver, engine, consumer, jobs, dlq, attempts = await setup(driver_case, tmp_path)
    try:
        for case in ("returned", "raised", "string", "retryable"):
            await jobs.publish({"case": case})
        await wait_until(lambda: dlq.info()["ready"] == 4, what="4 dead letters")
        assert attempts == {"returned": 1, "raised": 1, "string": 3, "retryable": 3}
        sub = await dlq.subscribe(prefetch=1)
        headers = {}
        for _ in range(4):
            d = await asyncio.wait_for(sub.receive(), 2)
            headers[d.message.body["case"]] = d.message.headers
            await dlq.ack(d)
        assert headers["returned"]["attempts"] == 1
        assert "bad input" in headers["returned"]["last_error"]
        assert "never valid" in headers["raised"]["last_error"]
        assert headers["string"]["attempts"] == 3
    finally:
        await consumer.stop()
        await driver.stop()
        await engine.close()


async def test_not_retryable_without_dead_letter_is_dropped_with_an_error(driver_case, tmp_path,
                                                                           caplog):
    driver, engine, consumer, jobs, _, attempts = await setup(driver_case, tmp_path,
                                                             with_dlq=False)
    try:
        with caplog.at_level(logging.ERROR):
            message = await jobs.publish({"case": "returned"})
            await wait_until(lambda: any("message dropped" in r.getMessage()
                                         for r in caplog.records), what="drop logged")
        dropped = [r for r in caplog.records if "message dropped" in r.getMessage()]
        assert dropped[0].fields["message_id"] == message.id
        assert "bad input" in dropped[0].fields["error"]
        await wait_until(lambda: jobs.info()["message_count"] == 0
                         and jobs.info().get("in_flight", 0) == 0, what="gone")
        assert attempts == {"returned": 1}
    finally:
        await consumer.stop()
        await driver.stop()
        await engine.close()
