"""queue.driver.sqlite as an entry: strict config, defaults, and a real runtime whose Lua
handlers publish durably."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest

from wippy.errors import ConfigErrors
from wippy.kinds import merge
from wippy.kinds.consumer import KINDS as CONSUMER_KINDS
from wippy.kinds.function import KINDS as FUNCTION_KINDS
from wippy.kinds.queue import KINDS as QUEUE_KINDS
from wippy.kinds.queue import QueueKind, SqliteDriverKind
from wippy.lua.modules.queue.module import QueueModule
from wippy.queue.sqlite import SqliteDriver
from wippy.registry.config import decode
from wippy.registry.entry import Entry
from wippy.registry.plan import prepare
from wippy.runtime import Runtime

from .helpers import wait_until

KINDS = merge(QUEUE_KINDS, CONSUMER_KINDS, FUNCTION_KINDS)
MODULES = {"queue": QueueModule()}


def entry(name, kind, **data):
    return Entry("app", name, kind, data=data)


def test_defaults_need_no_fields():
    cfg, errors = decode(entry("d", "queue.driver.sqlite"), SqliteDriverKind.config)
    assert errors == []
    assert (cfg.file, cfg.lease, cfg.poll_interval, cfg.synchronous) == (
        "./data/queues.db", 30.0, 1.0, "NORMAL")
    cfg, errors = decode(entry("q", "queue.queue", driver="d",
                               driver_options={"sqlite": {"max_length": 5}}), QueueKind.config)
    assert errors == [] and cfg.driver_options.sqlite.max_length == 5


def test_config_is_strict():
    bad = [entry("d", "queue.driver.sqlite", fil="x.db", lease="soon", synchronous="OFF"),
           entry("q", "queue.queue", driver="d", driver_options={"sqlite": {"max_len": 5}})]
    with pytest.raises(ConfigErrors) as exc:
        prepare(bad, KINDS, MODULES)
    text = "\n".join(f"{e.entry_id}: {e.field}: {e.message}" for e in exc.value.errors)
    assert "app:d: fil:" in text and "did you mean file?" in text
    assert "app:d: lease:" in text
    assert "app:d: synchronous:" in text
    assert "app:q: driver_options.sqlite.max_len:" in text


HANDLER = """
local queue = require("queue")
return {main = function(task)
    local ok, err = queue.publish("done", {id = task.id})
    if not ok then return nil, err end
    return true
end}
"""


def test_runtime_on_the_default_file_publishes_durably(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)    # the default file is ./data/queues.db
    entries = [
        entry("driver", "queue.driver.sqlite", poll_interval="50ms",
              lifecycle={"auto_start": True}),
        entry("tasks", "queue.queue", driver="driver"),
        entry("done", "queue.queue", driver="driver"),
        entry("worker", "function.lua", source=HANDLER, method="main", modules=["queue"]),
        entry("consumer", "queue.consumer", queue="tasks", func="worker", concurrency=2,
              prefetch=5, lifecycle={"auto_start": True}),
    ]
    path = tmp_path / "data" / "queues.db"

    def stored(queue):
        with sqlite3.connect(path) as conn:
            return conn.execute("SELECT count(*) FROM wippy_queue_message WHERE queue = ?",
                                (queue,)).fetchone()[0]

    async def main():
        async with Runtime(entries, kinds=KINDS, modules=MODULES) as rt:
            assert isinstance(rt.objects["app:driver"], SqliteDriver)
            tasks = rt.objects["app:tasks"]
            for i in range(30):
                await tasks.publish({"id": i})
            await wait_until(lambda: stored("done") == 30, what="30 done rows on disk")
            await wait_until(lambda: stored("tasks") == 0, what="tasks acked")

    asyncio.run(main())
    assert stored("done") == 30     # still there after the runtime stopped


def test_database_mode_keeps_the_queues_in_the_apps_database(tmp_path):
    from wippy.kinds.sql import KINDS as SQL_KINDS
    kinds = merge(QUEUE_KINDS, CONSUMER_KINDS, FUNCTION_KINDS, SQL_KINDS)
    both = [entry("db", "db.sql.sqlite", file=str(tmp_path / "app.db")),
            entry("driver", "queue.driver.sqlite", database="db", file="x.db")]
    with pytest.raises(ConfigErrors) as exc:
        prepare(both, kinds, MODULES)
    assert "not both" in str(exc.value)

    path = tmp_path / "app.db"
    entries = [
        entry("db", "db.sql.sqlite", file=str(path), lifecycle={"auto_start": True}),
        entry("driver", "queue.driver.sqlite", database="db", poll_interval="50ms",
              lifecycle={"auto_start": True}),
        entry("tasks", "queue.queue", driver="driver"),
        entry("done", "queue.queue", driver="driver"),
        entry("worker", "function.lua", source=HANDLER, method="main", modules=["queue"]),
        entry("consumer", "queue.consumer", queue="tasks", func="worker",
              lifecycle={"auto_start": True}),
    ]

    def stored(queue):
        with sqlite3.connect(path) as conn:
            return conn.execute("SELECT count(*) FROM wippy_queue_message WHERE queue = ?",
                                (queue,)).fetchone()[0]

    async def main():
        async with Runtime(entries, kinds=kinds, modules=MODULES) as rt:
            for i in range(20):
                await rt.objects["app:tasks"].publish({"id": i})
            await wait_until(lambda: stored("done") == 20, what="20 done rows in app.db")
            assert rt.objects["app:driver"].path == str(path)   # no queue file of its own

    asyncio.run(main())
    assert stored("done") == 20 and stored("tasks") == 0
