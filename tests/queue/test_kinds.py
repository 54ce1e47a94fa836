"""queue.driver.memory, queue.queue and queue.consumer: config, checks, build, a real run."""
from __future__ import annotations

import asyncio

import pytest

from wippy.registry.config import decode
from wippy.registry.entry import Entry
from wippy.errors import ConfigErrors
from wippy.kinds import merge
from wippy.kinds.base import BuildContext
from wippy.kinds.consumer import KINDS as CONSUMER_KINDS
from wippy.kinds.consumer import ConsumerKind
from wippy.kinds.function import KINDS as FUNCTION_KINDS
from wippy.kinds.queue import KINDS as QUEUE_KINDS
from wippy.kinds.queue import MemoryDriverKind, QueueKind
from wippy.lua.modules.queue.module import QueueModule
from wippy.registry.plan import prepare
from wippy.queue import Consumer, MemoryDriver, Queue
from wippy.runtime import Runtime

from .helpers import wait_until

KINDS = merge(QUEUE_KINDS, CONSUMER_KINDS, FUNCTION_KINDS)
MODULES = {"queue": QueueModule()}


def entry(name, kind, **data):
    return Entry("app", name, kind, data=data)


def problems(entries):
    with pytest.raises(ConfigErrors) as exc:
        prepare(entries, KINDS, MODULES)
    return [f"{e.entry_id}: {e.field}: {e.message}" for e in exc.value.errors]


def test_kind_names():
    assert set(KINDS) == {"queue.driver.memory", "queue.driver.sqlite", "queue.driver.amqp",
                          "queue.queue",
                          "queue.consumer", "function.lua", "library.lua"}


def test_queue_defaults_and_bare_refs():
    cfg, errors = decode(entry("tasks", "queue.queue", driver="queue_driver"), QueueKind.config)
    assert errors == []
    assert cfg.driver == "app:queue_driver"  # D5
    assert (cfg.queue_name, cfg.codec, cfg.dead_letter) == ("", "json/plain", None)
    assert cfg.driver_options.memory.max_length == 1000
    assert cfg.driver_options.memory.publish_timeout == 1.0
    r = cfg.retry
    assert (r.initial_delay, r.max_delay, r.factor, r.jitter) == (1.0, 60.0, 2.0, 0.1)


def test_queue_options_decode():
    cfg, errors = decode(entry(
        "tasks", "queue.queue", driver="app:d", queue_name="work",
        driver_options={"memory": {"max_length": 5, "publish_timeout": "250ms"}},
        dead_letter={"queue": "failed", "max_attempts": 4},
        retry={"initial_delay": "100ms", "max_delay": "5s", "factor": 3, "jitter": 0}),
        QueueKind.config)
    assert errors == []
    assert cfg.driver_options.memory.max_length == 5
    assert cfg.driver_options.memory.publish_timeout == 0.25
    assert (cfg.dead_letter.queue, cfg.dead_letter.max_attempts) == ("app:failed", 4)
    assert (cfg.retry.initial_delay, cfg.retry.max_delay, cfg.retry.factor) == (0.1, 5.0, 3.0)


def test_queue_problems():
    found = problems([
        entry("d", "queue.driver.memory"),
        entry("no_driver", "queue.queue"),
        entry("self_dl", "queue.queue", driver="d", dead_letter={"queue": "self_dl"}),
        entry("typo", "queue.queue", driver="d", driver_options={"memroy": {}}),
        entry("codec", "queue.queue", driver="d", codec="xml"),
        entry("dangling", "queue.queue", driver="dirver"),
    ])
    text = "\n".join(found)
    assert "app:no_driver: driver: driver ID is required" in text
    assert "app:self_dl: dead_letter.queue: a queue cannot dead-letter into itself" in text
    assert "unknown field (did you mean memory?)" in text
    assert "app:codec: codec: must be one of json/plain, application/msgpack" in text
    assert "driver -> app:dirver not found" in text


def test_consumer_problems_use_wippy_messages():
    base = [entry("d", "queue.driver.memory"), entry("q", "queue.queue", driver="d"),
            entry("f", "function.lua", source="return {main = function() end}", method="main")]
    found = problems(base + [
        entry("c1", "queue.consumer"),
        entry("c2", "queue.consumer", queue="q", func="f", concurrency=1001, prefetch=10001),
        entry("c3", "queue.consumer", queue="d", func="f"),
    ])
    text = "\n".join(found)
    assert "app:c1: queue: queue ID is required" in text
    assert "app:c1: func: function ID is required" in text
    assert "app:c2: concurrency: concurrency 1001 exceeds maximum 1000" in text
    assert "app:c2: prefetch: prefetch 10001 exceeds maximum 10000" in text
    assert "app:c3" in text and "queue.queue" in text  # wrong kind of target


def test_build_objects():
    ctx = BuildContext(objects={}, entries={}, lua=None)
    d_entry = entry("d", "queue.driver.memory")
    ctx.objects["app:d"] = MemoryDriverKind().build(d_entry, None, ctx)
    for e in (entry("failed", "queue.queue", driver="d"),
              entry("tasks", "queue.queue", driver="d", queue_name="work",
                    driver_options={"memory": {"max_length": 7}},
                    dead_letter={"queue": "failed", "max_attempts": 2})):
        cfg, errors = decode(e, QueueKind.config)
        assert errors == []
        ctx.objects[e.id] = QueueKind().build(e, cfg, ctx)
    q = ctx.objects["app:tasks"]
    assert isinstance(q, Queue) and q.name == "work" and q.max_attempts == 2
    assert q.dead_letter is ctx.objects["app:failed"]
    assert q.info()["max_length"] == 7
    assert ctx.objects["app:failed"].name == "failed"  # queue_name defaults to the entry name

    ctx.objects["app:f"] = object()  # stands in for the FunctionDef
    c_entry = entry("c", "queue.consumer", queue="tasks", func="f", concurrency=0, prefetch=-1)
    cfg, errors = decode(c_entry, ConsumerKind.config)
    assert errors == []
    consumer = ConsumerKind().build(c_entry, cfg, ctx)
    assert isinstance(consumer, Consumer) and isinstance(ctx.objects["app:d"], MemoryDriver)
    assert (consumer.concurrency, consumer.prefetch) == (1, 10)  # <= 0 means the default
    assert (consumer.queue, consumer.func_id) == (q, "app:f")


HANDLER = """
local queue = require("queue")
return {main = function(task)
    local msg = queue.message()
    return queue.publish("done", {id = task.id, attempt = msg:attempt()})
end}
"""


def test_runtime_runs_a_consumer_end_to_end():
    entries = [
        entry("driver", "queue.driver.memory", lifecycle={"auto_start": True}),
        entry("tasks", "queue.queue", driver="driver"),
        entry("done", "queue.queue", driver="driver"),
        entry("worker", "function.lua", source=HANDLER, method="main", modules=["queue"]),
        entry("consumer", "queue.consumer", queue="tasks", func="worker", concurrency=2,
              prefetch=5, lifecycle={"auto_start": True}),
    ]

    async def main():
        async with Runtime(entries, kinds=KINDS, modules=MODULES) as rt:
            tasks, done = rt.objects["app:tasks"], rt.objects["app:done"]
            for i in range(50):
                await tasks.publish({"id": i})
            await wait_until(lambda: done.info()["ready"] == 50, what="50 done")
            assert rt.status()["app:consumer"]["state"] == "running"
            sub = await done.subscribe(prefetch=1)
            ids = []
            for _ in range(50):
                d = await asyncio.wait_for(sub.receive(), 2)
                ids.append(d.message.body["id"])
                assert d.message.body["attempt"] == 1
            assert sorted(ids) == list(range(50))

    asyncio.run(main())
