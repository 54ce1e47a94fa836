"""The tutorial's own Lua files, unmodified, against a real SQLite file and on PostgreSQL
(they use only the builder, whose run_with() numbers placeholders for PostgreSQL)."""
import contextlib
import json
from pathlib import Path

import pytest

from wippy.lua.engine import LuaEngine
from wippy.lua.modules.sql.module import SqlModule

from .lua_stubs import STUBS

pytestmark = pytest.mark.anyio

SRC = Path(__file__).resolve().parents[2] / "examples" / "task-queue" / "src"
MODULES = {"sql": SqlModule(), **STUBS}


@contextlib.asynccontextmanager
async def tutorial(driver):
    db = driver.new(file="data/tasks.db")
    engine = LuaEngine({"app:db": db}, modules=MODULES, workers=1)
    await engine.start()
    if driver.name == "postgres":
        await db.start()   # the pool; a SQLite Database opens its file on first use

    async def run(name, method, modules, args=(), extras=None):
        fdef = engine.define(f"app:{name}", (SRC / f"{name}.lua").read_text(), method, modules)
        extras = {**(extras or {}), "out": []}
        result = await engine.call(fdef, args, extras=extras)
        return result, extras["out"]
    try:
        yield run, driver.wrap(db)
    finally:
        await engine.close()
        await db.stop()


def task(task_id, action="uppercase", data=None, created_at=1700000000):
    return {"id": task_id, "action": action, "data": data or {"text": "hi"}, "created_at": created_at}


async def test_migrate_creates_the_table_and_returns_0(db_driver):
    async with tutorial(db_driver) as (run, db):
        result, out = await run("migrate", "main", ["sql", "logger"])
        assert result.values == [0] and result.error is None
        assert ("info", ["migration complete", None]) in out
        cols = [c["name"] for c in await db.query(db_driver.pick(
            "PRAGMA table_info(tasks)", "SELECT column_name AS name FROM information_schema.columns"
            " WHERE table_name = 'tasks' ORDER BY ordinal_position"))]
        assert cols == ["id", "payload", "status", "result", "created_at", "processed_at"]
        result, _ = await run("migrate", "main", ["sql", "logger"])   # IF NOT EXISTS: idempotent
        assert result.values == [0]


async def test_process_task_inserts_the_result(db_driver):
    async with tutorial(db_driver) as (run, db):
        await run("migrate", "main", ["sql", "logger"])
        modules = ["queue", "sql", "logger", "time", "json"]
        result, out = await run("process_task", "main", modules, args=(task("t1"),))
        assert result.values == [True], out
        result, _ = await run("process_task", "main", modules,
                              args=(task("t2", "sum", {"numbers": [1, 2, 3.5]}),))
        assert result.values == [True]
        rows = await db.query("SELECT * FROM tasks ORDER BY id")
        assert [(r["id"], r["status"], json.loads(r["result"])) for r in rows] == [
            ("t1", "completed", {"output": "HI"}), ("t2", "completed", {"output": 6.5})]
        assert json.loads(rows[0]["payload"])["action"] == "uppercase"
        assert type(rows[0]["created_at"]) is int and type(rows[0]["processed_at"]) is int
        # The same task again violates the primary key: the handler logs and returns false.
        result, out = await run("process_task", "main", modules, args=(task("t1"),))
        assert result.values == [False]
        assert ("error", ["failed to store result",
                          {"error": db_driver.pick("UNIQUE constraint failed: tasks.id",
                                                   'duplicate key value violates unique '
                                                   'constraint "tasks_pkey"')}]) in out


async def test_list_tasks_returns_rows_and_filters_by_status(db_driver):
    async with tutorial(db_driver) as (run, db):
        await run("migrate", "main", ["sql", "logger"])
        await db.execute("INSERT INTO tasks (id, payload, status, created_at) VALUES "
                         "('a', '{}', 'completed', 1), ('b', '{}', 'pending', 2)")
        result, out = await run("list_tasks", "handler", ["http", "sql"])
        assert result.error is None
        body = dict(out)["json"]
        assert body["count"] == 2
        # ORDER BY created_at DESC; NULL columns (result, processed_at) are absent.
        assert body["tasks"] == [
            {"id": "b", "payload": "{}", "status": "pending", "created_at": 2},
            {"id": "a", "payload": "{}", "status": "completed", "created_at": 1}]
        result, out = await run("list_tasks", "handler", ["http", "sql"],
                                extras={"query": {"status": "completed"}})
        body = dict(out)["json"]
        assert (body["count"], [t["id"] for t in body["tasks"]]) == (1, ["a"])
        result, out = await run("list_tasks", "handler", ["http", "sql"],
                                extras={"query": {"status": "nope"}})
        assert dict(out)["json"] == {"tasks": [], "count": 0}
