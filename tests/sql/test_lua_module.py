"""The `sql` Lua module through the real engine: DB, params, rows, errors, transactions.
Tests taking `db_driver` run on SQLite and PostgreSQL (tests/sql/drivers.py)."""
import asyncio
import contextlib

import pytest

from tests.lua_helpers import run_lua
from wippy.errors import INVALID, NOT_FOUND, TIMEOUT
from wippy.lua.engine import LuaEngine
from wippy.lua.modules.sql.module import SqlModule

from .drivers import Driver

pytestmark = pytest.mark.anyio

SCHEMA = """CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, flag BOOLEAN,
            at DATETIME, data BLOB, n INTEGER)"""


@contextlib.asynccontextmanager
async def lua_db(driver, budget=None):
    db = driver.new()
    engine = LuaEngine({"app:db": db, "app:other": object()}, modules={"sql": SqlModule()},
                       workers=1, **({"budget": budget} if budget else {}))
    await engine.start()
    if driver.name == "postgres":
        await db.start()   # the pool; a SQLite Database opens its file on first use
    db = driver.wrap(db)
    await db.execute(SCHEMA)

    async def run(body, *args):
        src = f'local sql = require("sql")\nreturn {{main = function(...)\n{driver.lua(body)}\nend}}'
        return await run_lua(src, modules=["sql"], engine=engine, args=args, entry_id="app:fn")
    run.engine = engine
    try:
        yield run, db
    finally:
        await engine.close()
        await db.stop()


def sqlite(tmp_path):
    return Driver("sqlite", tmp_path)


async def test_get_errors(db_driver):
    async with lua_db(db_driver) as (run, _):
        for arg, message, kind in [("", "resource id is required", INVALID),
                                   ("app:nope", "resource not found", NOT_FOUND),
                                   ("app:other", "resource is not a database: app:other", INVALID)]:
            r = await run("return sql.get(...)", arg)
            assert (r.values[0], r.error.message, r.error.kind) == (None, message, kind)
        r = await run("return sql.get(nil)")
        assert r.raised and "bad argument #1 to 'get'" in r.error.message
        r = await run('local db = sql.get("db"); return db:type()')   # bare name: caller's namespace
        assert r.values == [db_driver.name, None]


async def test_db_object_basics(db_driver):
    async with lua_db(db_driver) as (run, _):
        r = await run("""
            local db = assert(sql.get("app:db"))
            local ok1 = db:release()
            local ok2 = db:release()
            local stats = db:stats()
            return {type = db:type(), ok = ok1 and ok2, open = stats.open_connections,
                    max_open = stats.max_open_connections,
                    consts = {sql.type.SQLITE, sql.isolation.SERIALIZABLE, sql.builder.dollar},
                    mt = getmetatable(db), str = tostring(db)}""")
        assert r.error is None
        # open connections: SQLite's writer and two readers; PostgreSQL's pool has one so far,
        # of at most 100 (pool.max_open 0, docs/kinds/sql.md).
        assert r.values[0] == {"type": db_driver.name, "ok": True, "open": db_driver.pick(3, 1),
                               "max_open": db_driver.pick(3, 100),
                               "mt": False,
                               "consts": ["sqlite", "serializable", "dollar"], "str": "sql.DB"}
        r = await run("local db = sql.get('app:db'); return db.query({}, 'SELECT 1')")
        assert r.raised and "bad self" in r.error.message


# SQLite only: declared-type conversions (DATETIME from epoch seconds) and last_insert_id.
async def test_params_and_row_values(tmp_path):
    async with lua_db(sqlite(tmp_path)) as (run, _):
        r = await run("""
            local db = sql.get("app:db")
            local res, err = db:execute(
                "INSERT INTO t (name, score, flag, at, data, n) VALUES (?, ?, ?, ?, ?, ?)",
                {"a", 1.5, true, 1700000000, sql.as.binary("\\0\\255"), 7})
            assert(res, err)
            assert(db:execute("INSERT INTO t (name, score, flag, n) VALUES (?, ?, ?, ?)",
                              {sql.NULL, {1, 2}, nil, sql.as.int(3.9)}))
            local rows = assert(db:query("SELECT * FROM t ORDER BY id"))
            local a, b = rows[1], rows[2]
            return {
                res = res, count = #rows,
                a = {name = a.name, score = a.score, flag = a.flag, at = a.at, n_type = math.type(a.n),
                     blob = {a.data:byte(1, -1)}},
                b_keys = (function() local ks = {} for k in pairs(b) do ks[#ks + 1] = k end
                                     table.sort(ks) return ks end)(),
                b_n = b.n, n_is_int = math.type(b.n),
                empty = #assert(db:query("SELECT * FROM t WHERE id = ?", {99})),
            }""")
        assert r.error is None, r.error
        v = r.values[0]
        assert v["res"] == {"last_insert_id": 1, "rows_affected": 1}
        assert v["a"] == {"name": "a", "score": 1.5, "flag": True, "at": "2023-11-14T22:13:20Z",
                          "n_type": "integer", "blob": [0, 255]}
        # NULL columns are absent: name (sql.NULL), score (a table -> NULL), flag (nil hole).
        assert v["b_keys"] == ["id", "n"] and v["b_n"] == 3 and v["n_is_int"] == "integer"
        assert v["count"] == 2 and v["empty"] == 0


# Driver-independent: sql.as.* never reaches a database.
async def test_typed_values(tmp_path):
    async with lua_db(sqlite(tmp_path)) as (run, _):
        r = await run("""
            local as = sql.as
            return {as.int(3.9), as.int(-3.9), as.int("x"), math.type(as.float(2)), as.text(12),
                    as.text(1.5), as.text(nil), as.null() == sql.NULL}""")
        assert r.values[0] == [3, -3, 0, "float", "12", "1.5", "", True]


async def test_params_must_be_a_table(db_driver):
    async with lua_db(db_driver) as (run, _):
        r = await run('return sql.get("app:db"):query("SELECT ?", "x")')
        assert (r.values[0], r.error.message, r.error.kind) == \
            (None, "parameters must be a table, got string", INVALID)
        r = await run('return sql.get("app:db"):query(42)')
        assert r.raised and "bad argument #1 to 'query' (string expected, got number)" in r.error.message


async def test_errors_have_driver_message_kind_and_retryable(db_driver):
    async with lua_db(db_driver) as (run, _):
        r = await run("""
            local rows, err = sql.get("app:db"):query("SELECT * FROM nope")
            return rows, tostring(err), err:kind(), err:retryable(), "x: " .. err""")
        message = db_driver.pick("no such table: nope", 'relation "nope" does not exist')
        assert r.values == [None, message, "Invalid", False, "x: " + message]


async def test_transaction_commit_savepoint_and_type(db_driver):
    async with lua_db(db_driver) as (run, db):
        r = await run("""
            local db = sql.get("app:db")
            local tx = assert(db:begin({isolation = sql.isolation.SERIALIZABLE}))
            assert(tx:execute("INSERT INTO t (name) VALUES (?)", {"kept"}))
            assert(tx:savepoint("sp1"))
            assert(tx:execute("INSERT INTO t (name) VALUES (?)", {"undone"}))
            assert(tx:rollback_to("sp1"))
            local inside = tx:query("SELECT count(*) AS c FROM t")[1].c
            local bad_ok, bad_err = tx:savepoint("no-dashes")
            local t = tx:db_type()
            assert(tx:commit())
            local again_ok, again_err = tx:commit()
            return inside, t, tostring(bad_err), tostring(again_err)""")
        assert r.values == [1, db_driver.name,
                            "savepoint name can only contain alphanumeric characters and underscores",
                            "transaction is not active"]
        assert await db.query("SELECT name FROM t") == [{"name": "kept"}]
        r = await run('return sql.get("app:db"):begin({isolation = "bogus"})')
        assert r.error.message == "invalid isolation level: bogus"


async def test_open_transaction_is_rolled_back_when_the_call_ends(db_driver):
    async with lua_db(db_driver) as (run, db):
        r = await run("""
            local tx = sql.get("app:db"):begin()
            tx:execute("INSERT INTO t (name) VALUES ('lost')")
            error("handler failed")""")
        assert r.raised
        assert db.write_tx is None
        assert await db.query("SELECT count(*) AS c FROM t") == [{"c": 0}]
        await db.execute("INSERT INTO t (name) VALUES ('writer is free')")


# SQLite only: one writer; on PostgreSQL db and a transaction are separate connections.
async def test_writing_around_your_own_transaction_fails_fast(tmp_path):
    async with lua_db(sqlite(tmp_path)) as (run, _):
        r = await run("""
            local db = sql.get("app:db")
            local tx = db:begin()
            local rows = db:query("SELECT count(*) AS c FROM t")   -- reads are fine
            local res, err = db:execute("INSERT INTO t (name) VALUES ('x')")
            local tx2, err2 = db:begin()
            tx:rollback()
            return rows[1].c, res, err:message(), err2 ~= nil""")
        assert r.values[0] == 0 and r.values[1] is None
        assert "holds an open transaction on app:db" in r.values[2] and "tx:execute()" in r.values[2]
        assert r.values[3] is True


async def test_read_only_transaction(db_driver):
    async with lua_db(db_driver) as (run, _):
        r = await run("""
            local tx = sql.get("app:db"):begin({read_only = true})
            local rows = tx:query("SELECT count(*) AS c FROM t")
            local res, err = tx:execute("INSERT INTO t (name) VALUES ('x')")
            tx:commit()
            return rows[1].c, res, err:kind()""")
        assert r.values == [0, None, "PermissionDenied"]


async def test_prepared_statements(db_driver):
    async with lua_db(db_driver) as (run, _):
        r = await run("""
            local db = sql.get("app:db")
            local ins = assert(db:prepare("INSERT INTO t (name) VALUES (?)"))
            assert(ins:execute({"p1"}))
            assert(ins:execute({"p2"}))
            local sel = assert(db:prepare("SELECT name FROM t ORDER BY id"))
            local rows = assert(sel:query())
            local closed = sel:close()
            local _, err = sel:query()
            local bad, perr = db:prepare("SELECT * FROM nope")
            local tx = db:begin()
            local tstmt = assert(tx:prepare("INSERT INTO t (name) VALUES (?)"))
            assert(tstmt:execute({"in-tx"}))
            tx:commit()
            return #rows, rows[2].name, closed, tostring(err), bad, tostring(perr),
                   db:query("SELECT count(*) AS c FROM t")[1].c""")
        assert r.values == [2, "p2", True, "statement is closed", None,
                            db_driver.pick("no such table: nope", 'relation "nope" does not exist'), 3]


async def test_call_deadline_stops_a_runaway_query(db_driver):
    async with lua_db(db_driver, budget=0.3) as (run, _):
        r = await run("""
            local rows, err = sql.get("app:db"):query(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c")
            return rows, err""")
        assert r.error is not None and r.error.kind == TIMEOUT


# SQLite only: sqlite_code details (PostgreSQL carries sqlstate).
async def test_error_details_carry_sqlite_codes(tmp_path):
    async with lua_db(sqlite(tmp_path)) as (run, _):
        r = await run("""
            local db = sql.get("app:db")
            db:execute("CREATE TABLE u (id INTEGER PRIMARY KEY)")
            db:execute("INSERT INTO u VALUES (1)")
            local _, err = db:execute("INSERT INTO u VALUES (1)")
            local d = err:details()
            return {err:kind(), d.sqlite_code, d.sqlite_extended_code}""")
        assert r.values[0] == ["AlreadyExists", 19, 1555]


# SQLite only: waiting for the single writer.
async def test_call_that_times_out_waiting_for_the_writer_leaves_it_free(tmp_path):
    async with lua_db(sqlite(tmp_path), budget=0.2) as (run, db):
        held = await db.begin()   # another "handler" holds the writer
        r = await run("""
            local tx, err = sql.get("app:db"):begin()
            return tx, err""")
        assert r.error is not None and r.error.kind == TIMEOUT
        await held.commit()
        await asyncio.wait_for(db.execute("INSERT INTO t (name) VALUES ('free')"), 5)
        assert db.write_tx is None


# SQLite only: the loop fast path (PostgreSQL writes are always awaited).
async def test_idle_writes_finish_inside_the_host_call(tmp_path):
    """On the event loop, db:execute() and a builder's exec() write through the loop's
    fast path without yielding; results and errors are those of the awaited op."""
    async with lua_db(sqlite(tmp_path)) as (run, db):
        awaited = []
        ops = run.engine._ops
        for name in ("sql.execute", "sql.run"):
            async def counting(call, *args, _op=ops[name], _name=name):
                awaited.append(_name)
                return await _op(call, *args)
            ops[name] = counting
        before = db.stats()["loop_writes"]
        r = await run("""
            local db = sql.get("app:db")
            local a = assert(db:execute("INSERT INTO t (id, name) VALUES (?, ?)", {1, "a"}))
            local b = assert(sql.builder.insert("t"):columns("id", "name"):values(2, "b")
                :run_with(db):exec())
            local _, dup = db:execute("INSERT INTO t (id, name) VALUES (1, 'again')")
            local _, bad = sql.builder.insert("t"):columns("id", "nope"):values(3, "c")
                :run_with(db):exec()
            return a.last_insert_id, b.rows_affected, dup:kind(), bad:kind(), tostring(bad)""")
        assert r.error is None, r.error
        assert r.values[:3] == [1, 1, "AlreadyExists"]
        assert "no column named nope" in r.values[4]
        assert awaited == []
        assert db.stats()["loop_writes"] == before + 2
        # In a transaction the write goes through the awaited op (the writer thread).
        r = await run("""
            local db = sql.get("app:db")
            local tx = assert(db:begin())
            assert(tx:execute("INSERT INTO t (id, name) VALUES (9, 'tx')"))
            assert(tx:commit())
            return true""")
        assert r.error is None, r.error
        assert awaited == ["sql.execute"]


async def test_text_that_is_not_utf8_is_refused_not_altered(db_driver):
    async with lua_db(db_driver) as (run, db):
        r = await run("""
            local db = sql.get("app:db")
            local _, in_params = db:execute("INSERT INTO t (id, name) VALUES (1, ?)", {"\\255"})
            local _, in_sql = db:execute("INSERT INTO t (id, name) VALUES (2, '\\255')")
            local _, in_query = db:query("SELECT '\\255'")
            local ok = db:execute("INSERT INTO t (id, data) VALUES (3, ?)", {sql.as.binary("\\255")})
            return {in_params:kind(), in_sql:kind(), in_query:kind(), tostring(in_sql), ok ~= nil}""")
        assert r.error is None, r.error
        v = r.values[0]
        assert v[:3] == ["Invalid", "Invalid", "Invalid"]
        assert "not valid UTF-8" in v[3]
        assert v[4] is True   # binary data goes in through sql.as.binary
        assert await db.query("SELECT id FROM t ORDER BY id") == [{"id": 3}]
