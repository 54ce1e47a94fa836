"""The Lua `sql` module on PostgreSQL: what is PostgreSQL's own (RETURNING, numeric, sqlstate,
server-side cancel, run_with switching to `$n`). The shared surface runs on both drivers in
tests/sql/test_lua_module.py."""
import contextlib

import pytest

from tests.lua_helpers import run_lua
from tests.postgres.conftest import connect_args
from wippy.errors import ALREADY_EXISTS, TIMEOUT
from wippy.lua.engine import LuaEngine
from wippy.lua.modules.sql.module import SqlModule
from wippy.sql.postgres import PostgresDatabase

pytestmark = pytest.mark.anyio

SCHEMA = """CREATE TABLE tasks (id serial PRIMARY KEY, title text UNIQUE, done boolean
            DEFAULT false, amount numeric, note text)"""


@contextlib.asynccontextmanager
async def lua_pg(server, database, budget=None):
    db = PostgresDatabase("app:db", connect_args(server, database))
    engine = LuaEngine({"app:db": db}, modules={"sql": SqlModule()}, workers=1,
                       **({"budget": budget} if budget else {}))
    await engine.start()
    await db.start()
    await db.execute(SCHEMA)

    async def run(body, *args):
        src = f'local sql = require("sql")\nreturn {{main = function(...)\n{body}\nend}}'
        return await run_lua(src, modules=["sql"], engine=engine, args=args, entry_id="app:fn")
    try:
        yield run, db
    finally:
        await engine.close()
        await db.stop()


async def test_query_execute_returning_and_nulls(postgres_server, pg_database):
    async with lua_pg(postgres_server, pg_database) as (run, db):
        r = await run("""
            local db = assert(sql.get("app:db"))
            local rows = assert(db:query("INSERT INTO tasks(title, amount) VALUES ($1, $2) RETURNING id",
                                         {"a", 1.5}))
            local res = assert(db:execute("INSERT INTO tasks(title) VALUES ($1)", {"b"}))
            local all = assert(db:query("SELECT id, title, done, amount, note FROM tasks ORDER BY id"))
            return {id = rows[1].id, res = res, all = all, type = db:type(), t = sql.type.POSTGRES}""")
        assert r.error is None, r.error
        out = r.values[0]
        assert out["id"] == 1 and out["type"] == "postgres" and out["t"] == "postgres"
        assert out["res"] == {"last_insert_id": 0, "rows_affected": 1}
        assert out["all"][0] == {"id": 1, "title": "a", "done": False, "amount": "1.5"}
        assert out["all"][1] == {"id": 2, "title": "b", "done": False}   # NULLs: absent keys


async def test_errors_keep_the_vocabulary(postgres_server, pg_database):
    async with lua_pg(postgres_server, pg_database) as (run, _):
        r = await run("""
            local db = sql.get("app:db")
            db:execute("INSERT INTO tasks(title) VALUES ($1)", {"x"})
            local res, err = db:execute("INSERT INTO tasks(title) VALUES ($1)", {"x"})
            local d = err:details()
            return {res == nil, err:kind(), err:retryable(), tostring(err), d.sqlstate, d.detail}""")
        # The message is the server's one line; its DETAIL line is in details.
        assert r.values[0] == [True, ALREADY_EXISTS, False,
                               'duplicate key value violates unique constraint "tasks_title_key"',
                               "23505", "Key (title)=(x) already exists."]


async def test_call_deadline_cancels_the_statement(postgres_server, pg_database):
    async with lua_pg(postgres_server, pg_database, budget=0.3) as (run, db):
        r = await run("""
            local rows, err = sql.get("app:db"):query("SELECT pg_sleep(30)")
            return rows, err""")
        assert r.error is not None and r.error.kind == TIMEOUT
        running = await db.query("SELECT count(*) AS n FROM pg_stat_activity "
                                 "WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'")
        assert running == [{"n": 0}]


async def test_builder_run_with_switches_to_dollar(postgres_server, pg_database):
    async with lua_pg(postgres_server, pg_database) as (run, _):
        r = await run("""
            local db = sql.get("app:db")
            assert(sql.builder.insert("tasks"):columns("title", "note"):values("t1", "n1")
                   :run_with(db):exec())
            assert(sql.builder.insert("tasks"):set_map({title = "t2", done = true})
                   :run_with(db):exec())
            local q = sql.builder.select("title", "note"):from("tasks")
                      :where(sql.builder.eq({done = false})):order_by("id")
            local plain = q:to_sql()
            local rows = assert(q:run_with(db):query())
            local upd = assert(sql.builder.update("tasks"):set("note", "n2")
                               :where("title = ?", "t2"):run_with(db):exec())
            return {plain, rows, upd.rows_affected}""")
        assert r.error is None, r.error
        plain, rows, affected = r.values[0]
        assert plain == "SELECT title, note FROM tasks WHERE done = ? ORDER BY id"
        assert rows == [{"title": "t1", "note": "n1"}]
        assert affected == 1
