"""The `queue` Lua module through the real engine: publish, message(), info."""
from __future__ import annotations

import asyncio
import contextlib
import threading
import time

import pytest

from tests.lua_helpers import run_lua
from wippy.errors import INTERNAL, INVALID, TIMEOUT, UNAVAILABLE
from wippy.lua.engine import LuaEngine
from wippy.lua.modules.queue.module import QueueModule
from wippy.queue import ACK, Delivery, MemoryDriver, MemoryQueueOptions, Queue, new_message

from .helpers import wait_until

pytestmark = pytest.mark.anyio


@contextlib.asynccontextmanager
async def lua_env(max_length=1000, publish_timeout=1.0, inline=True):
    driver = MemoryDriver("app:driver")
    driver.declare("tasks", MemoryQueueOptions(max_length, publish_timeout))
    queue = Queue("app:tasks", "tasks", driver)
    objects = {"app:tasks": queue, "app:driver": driver}
    engine = LuaEngine(objects, modules={"queue": QueueModule()}, workers=1, inline=inline)
    await engine.start()
    await driver.start()
    try:
        yield engine, queue
    finally:
        await driver.stop()
        await engine.close()


async def lua(engine, source, **kw):
    kw.setdefault("entry_id", "app:fn")
    return await run_lua(source, modules=["queue"], engine=engine, **kw)


PUBLISH = """
local queue = require("queue")
function main(id, data, headers) return queue.publish(id, data, headers) end
return {main = main}
"""


async def test_publish_puts_a_plain_copy_with_filtered_headers():
    async with lua_env() as (engine, queue):
        src = """
        local queue = require("queue")
        return {main = function()
            local data = {id = "t1", n = 3, f = 1.5, nested = {list = {1, 2}}, fn = print}
            local ok, err = queue.publish("app:tasks", data,
                {correlation_id = "c", n = 2, flag = true, t = {}, [1] = "x"})
            data.n = 99   -- the queued copy must not change
            return ok, err
        end}
        """
        result = await lua(engine, src)
        assert result.values[:1] == [True] and result.error is None
        sub = await queue.subscribe(prefetch=1)
        d = await asyncio.wait_for(sub.receive(), 2)
        body = {k: v for k, v in d.message.body.items() if v is not None}  # functions -> nil
        assert body == {"id": "t1", "n": 3, "f": 1.5, "nested": {"list": [1, 2]}}
        headers = dict(d.message.headers)
        assert isinstance(headers.pop("timestamp"), int)
        assert headers == {"correlation_id": "c", "n": 2, "flag": True}
        assert len(d.message.id) == 36


@pytest.mark.parametrize("args,kind,message", [
    (("", {"a": 1}), INVALID, "queue ID required"),
    ((None, {"a": 1}), INVALID, "queue ID required"),
    (("app:tasks", None), INVALID, "message data required"),
    (("app:tasks", {}), INVALID, "message data cannot be empty"),
    (("app:nope", {"a": 1}), INTERNAL, "queue not found"),
])
async def test_publish_validation(args, kind, message):
    async with lua_env() as (engine, queue):
        result = await lua(engine, PUBLISH, args=args)
        assert result.values[0] is None
        assert (result.error.kind, result.error.message) == (kind, message)
        assert queue.info()["message_count"] == 0


async def test_publish_bad_argument_types_raise():
    async with lua_env() as (engine, _):
        result = await lua(engine, PUBLISH, args=(12, {"a": 1}))
        assert result.raised and "bad argument #1 to 'publish' (string expected, got number)" \
            in result.error.message
        result = await lua(engine, PUBLISH, args=("app:tasks", {"a": 1}, "h"))
        assert result.raised and "bad argument #3" in result.error.message


async def test_bare_queue_name_means_callers_namespace():
    async with lua_env() as (engine, queue):
        result = await lua(engine, PUBLISH, args=("tasks", "hello"))
        assert result.values[0] is True
        assert queue.info()["message_count"] == 1


async def test_full_queue_waits_then_fails_unavailable():
    async with lua_env(max_length=1, publish_timeout=0.05) as (engine, queue):
        queue.publish_nowait("occupant")
        started = time.monotonic()
        result = await lua(engine, PUBLISH, args=("app:tasks", "x"))
        assert time.monotonic() - started >= 0.04
        assert result.values[0] is None
        assert (result.error.kind, result.error.message) == (UNAVAILABLE, "queue full")
        assert result.error.retryable is True


async def test_full_queue_wait_ends_at_the_call_deadline():
    # The wait is self-timed: a call budget shorter than the queue's bound ends it
    # with the call's own Timeout, not "queue full", and not later than the budget.
    async with lua_env(max_length=1, publish_timeout=5) as (engine, queue):
        queue.publish_nowait("occupant")
        started = time.monotonic()
        result = await lua(engine, PUBLISH, args=("app:tasks", "x"), budget=0.1)
        assert 0.08 <= time.monotonic() - started < 2
        assert (result.error.kind, result.error.message) == (TIMEOUT, "execution time limit exceeded")
        assert queue.info()["message_count"] == 1


async def test_full_queue_publish_succeeds_when_room_frees():
    async with lua_env(max_length=1, publish_timeout=5) as (engine, queue):
        queue.publish_nowait("occupant")
        call = asyncio.create_task(lua(engine, PUBLISH, args=("app:tasks", "second")))
        await wait_until(lambda: queue.driver.queues["tasks"].space_waiters, what="publisher waiting")
        sub = await queue.subscribe(prefetch=1)
        first = await asyncio.wait_for(sub.receive(), 2)
        result = await asyncio.wait_for(call, 2)
        assert result.values[0] is True
        second = await asyncio.wait_for(sub.receive(), 2)
        assert (first.message.body, second.message.body) == ("occupant", "second")


async def test_publish_from_lua_runs_on_the_worker_thread():
    # Entries moved off the event loop publish from their worker thread directly.
    async with lua_env(inline=False) as (engine, queue):
        threads = []
        original = queue.try_publish

        def spy(message):
            threads.append(threading.get_ident())
            return original(message)

        queue.try_publish = spy
        await lua(engine, PUBLISH, args=("app:tasks", "x"))
        assert threads and threads[0] != threading.get_ident()
        assert queue.info()["message_count"] == 1


async def test_message_outside_a_consumer():
    async with lua_env() as (engine, _):
        src = """
        local queue = require("queue")
        return {main = function() return queue.message() end}
        """
        result = await lua(engine, src)
        assert result.values[0] is None
        assert (result.error.kind, result.error.message) == (INVALID, "no delivery found in context")


MESSAGE = """
local queue = require("queue")
return {main = function(body)
    local msg, err = queue.message()
    if err then return nil, err end
    local ok1, e1 = msg:ack()
    local ok2, e2 = msg:nack()
    return {
        id = msg:id(), str = tostring(msg), corr = msg:header("correlation_id"),
        missing = msg:header("nope") == nil, headers = msg:headers(), body = body,
        attempt = msg:attempt(), first = ok1, second_err = tostring(e2), second_kind = e2:kind(),
        readonly = not pcall(function() msg.x = 1 end),
        mt = getmetatable(msg),
    }
end}
"""


async def test_message_methods_and_single_shot_settlement():
    async with lua_env() as (engine, queue):
        m = new_message({"k": "v"}, {"correlation_id": "c-1", "n": 7})
        delivery = Delivery(m)
        result = await lua(engine, MESSAGE, args=(m.body,), delivery=delivery)
        assert result.error is None, result.error
        out = result.values[0]
        assert out["id"] == m.id
        assert out["str"] == f"queue.Message{{id={m.id}}}"
        assert out["corr"] == "c-1" and out["missing"] is True
        assert out["headers"]["n"] == 7 and out["headers"]["timestamp"] == m.headers["timestamp"]
        assert out["body"] == {"k": "v"} and out["attempt"] == 1
        assert out["first"] is True
        assert out["second_err"] == "queue.Message already settled"
        assert out["second_kind"] == INVALID
        assert out["readonly"] is True and out["mt"] is False
        assert delivery.settlement == ACK


async def test_message_after_release():
    async with lua_env() as (engine, _):
        delivery = Delivery(new_message("x"))
        delivery.settle_default(ACK)  # the handler returned
        src = """
        local queue = require("queue")
        return {main = function()
            local msg = queue.message()
            local id, err = msg:id()
            local ok, err2 = msg:nack()
            return tostring(err), tostring(err2), tostring(msg)
        end}
        """
        result = await lua(engine, src, delivery=delivery)
        assert result.values[:2] == ["queue.Message released", "queue.Message released"]
        assert result.values[2].startswith("queue.Message{id=")


async def test_info():
    async with lua_env() as (engine, queue):
        for i in range(3):
            queue.publish_nowait(i)
        src = """
        local queue = require("queue")
        return {main = function(id) return queue.info(id) end}
        """
        result = await lua(engine, src, args=("app:tasks",))
        assert result.values[0]["message_count"] == 3 and result.values[0]["ready"] == 3
        result = await lua(engine, src, args=("app:nope",))
        assert result.error.message == "queue not found"


async def test_publish_refuses_text_that_is_not_utf8():
    # Replacing bytes would change the message; it is refused with a clear error instead.
    async with lua_env() as (engine, queue):
        src = """
        local queue = require("queue")
        return {main = function() return queue.publish("app:tasks", {blob = "\\255\\254"}) end}
        """
        result = await lua(engine, src)
        assert result.values[0] is None
        assert result.error.kind == INVALID and "not valid UTF-8" in result.error.message
        assert queue.info()["message_count"] == 0
