"""`sql.builder` from Lua: same SQL as the Python renderer, immutability, executors.
Rendering is driver-independent; the executors run on SQLite and PostgreSQL."""
import contextlib

import pytest

from tests.lua_helpers import run_lua
from wippy.errors import INVALID
from wippy.lua.engine import LuaEngine
from wippy.lua.modules.sql.module import SqlModule

from .drivers import Driver

pytestmark = pytest.mark.anyio


@contextlib.asynccontextmanager
async def lua_db(tmp_path, driver=None):
    """The builder on a fresh database; `driver` (tests/sql/drivers.py) defaults to SQLite:
    most tests here only render SQL and never reach a database."""
    driver = driver or Driver("sqlite", tmp_path)
    db = driver.new()
    engine = LuaEngine({"app:db": db}, modules={"sql": SqlModule()}, workers=1)
    await engine.start()
    if driver.name == "postgres":
        await db.start()   # the pool; a SQLite Database opens its file on first use
    db = driver.wrap(db)
    await db.execute("CREATE TABLE tasks (id TEXT PRIMARY KEY, payload TEXT, status TEXT, "
                     "result TEXT, created_at INTEGER, processed_at INTEGER)")

    async def run(body, *args):
        src = ('local sql = require("sql")\nlocal b = sql.builder\n'
               f'return {{main = function(...)\n{body}\nend}}')
        return await run_lua(src, modules=["sql"], engine=engine, args=args, entry_id="app:fn")
    try:
        yield run, db
    finally:
        await engine.close()
        await db.stop()


async def to_sql(run, expr):
    """(sql, args) with args as a list; NULL args are holes in the Lua table, as in Go."""
    r = await run(f"local q = {expr}\nlocal s, a = q:to_sql()\n"
                  "local n = 0 for k in pairs(a) do n = math.max(n, k) end\n"
                  "return {sql = s, args = a, n = n}")
    assert r.error is None and not r.raised, r.error
    v = r.values[0]
    args = v["args"]
    if isinstance(args, dict):
        args = [args.get(i) for i in range(1, v["n"] + 1)]
    return v["sql"], args


TUTORIAL_SELECT = ('b.select("id", "payload", "status", "result", "created_at", "processed_at")'
                   ':from("tasks"):order_by("created_at DESC"):limit(100)')


async def test_tutorial_query_renders_exactly(tmp_path):
    async with lua_db(tmp_path) as (run, _):
        sql, args = await to_sql(run, TUTORIAL_SELECT + ':where({status = "pending"})')
        assert sql == ("SELECT id, payload, status, result, created_at, processed_at FROM tasks "
                       "WHERE status = ? ORDER BY created_at DESC LIMIT 100")
        assert args == ["pending"]


@pytest.mark.parametrize("expr, sql, args", [
    ('b.select("x"):from("t"):where({b = 2, a = 1})', "SELECT x FROM t WHERE a = ? AND b = ?", [1, 2]),
    ('b.select("x"):from("t"):where({a = sql.NULL})', "SELECT x FROM t WHERE a IS NULL", []),
    ('b.select("x"):from("t"):where({a = {1, 2}})', "SELECT x FROM t WHERE a IS NULL", []),
    ('b.select("x"):from("t"):where("a = ? OR b = ?", 1, "y"):where({c = true})',
     "SELECT x FROM t WHERE a = ? OR b = ? AND c = ?", [1, "y", True]),
    ('b.select("x"):from("t"):where(b.expr("a BETWEEN ? AND ?", 1, 5))',
     "SELECT x FROM t WHERE a BETWEEN ? AND ?", [1, 5]),
    ('b.select("x"):from("t"):where(b.not_eq({a = 1, z = sql.NULL}))',
     "SELECT x FROM t WHERE a <> ? AND z IS NOT NULL", [1]),
    ('b.select("x"):from("t"):where(b.lt({a = 1})):where(b.lte({b = 2})):where(b.gt({c = 3})):where(b.gte({d = 4}))',
     "SELECT x FROM t WHERE a < ? AND b <= ? AND c > ? AND d >= ?", [1, 2, 3, 4]),
    ('b.select("x"):from("t"):where(b.like({n = "a%"})):where(b.not_like({m = "%z"}))',
     "SELECT x FROM t WHERE n LIKE ? AND m NOT LIKE ?", ["a%", "%z"]),
    ('b.select("x"):from("t"):where(b.or_({b.eq({a = 1}), b.and_({b.gt({c = 2}), {d = 3}})}))',
     "SELECT x FROM t WHERE (a = ? OR (c > ? AND d = ?))", [1, 2, 3]),
    ('b.select("x"):from("t"):where(b.and_({}))', "SELECT x FROM t WHERE (1=1)", []),
    ('b.select("x"):from("t"):where(b.or_({}))', "SELECT x FROM t WHERE (1=0)", []),
    ('b.select("x"):from("t"):where(b.eq("a", 1))', "SELECT x FROM t WHERE a = ?", [1]),
    ('b.select("a", "count(*)"):distinct():from("t"):join("u ON u.id = t.u AND u.k = ?", "k")'
     ':left_join("v ON v.id = t.v"):group_by("a"):having("count(*) > ?", 1):order_by("a", "b DESC")'
     ':limit(-1):offset(5):suffix("-- end")',
     "SELECT DISTINCT a, count(*) FROM t JOIN u ON u.id = t.u AND u.k = ? LEFT JOIN v ON v.id = t.v "
     "GROUP BY a HAVING count(*) > ? ORDER BY a, b DESC LIMIT 0 OFFSET 5 -- end", ["k", 1]),
    ('b.select("x"):from("t"):where("a = ? AND b = ?", 1, 2):placeholder_format(b.dollar)',
     "SELECT x FROM t WHERE a = $1 AND b = $2", [1, 2]),
    ('b.select("x"):from("t"):where("a = ?", 1):placeholder_format(b.at)', "SELECT x FROM t WHERE a = @p1", [1]),
    ('b.select("x"):from("t"):where("a = ?", 1):placeholder_format(b.colon)', "SELECT x FROM t WHERE a = :1", [1]),
    ('b.insert("t"):columns("a", "b"):values(1, "x"):values(b.expr("abs(?)", -2), sql.NULL)',
     "INSERT INTO t (a,b) VALUES (?,?),(abs(?),?)", [1, "x", -2]),   # trailing NULL: a hole
    ('b.insert():into("t"):set_map({b = 2, a = 1}):options("OR REPLACE"):suffix("RETURNING a")',
     "INSERT OR REPLACE INTO t (a,b) VALUES (?,?) RETURNING a", [1, 2]),
    ('b.insert("t"):columns("a"):select(b.select("x"):from("s"):where({y = 1}))',
     "INSERT INTO t (a) SELECT x FROM s WHERE y = ?", [1]),
    ('b.update("t"):set("a", 1):set("n", b.expr("n + ?", 1)):set_map({c = sql.NULL}):where({id = 5})'
     ':order_by("id"):limit(1)',
     "UPDATE t SET a = ?, n = n + ?, c = ? WHERE id = ? ORDER BY id LIMIT 1", [1, 1, None, 5]),
    ('b.update("t"):set("total", b.select("sum(v)"):from("o"):where("o.t = t.id"))',
     "UPDATE t SET total = (SELECT sum(v) FROM o WHERE o.t = t.id)", []),
    ('b.update():table("u"):set("a", 1):from_select(b.select("id"):from("s"), "x"):where("u.id = x.id")',
     "UPDATE u SET a = ? FROM (SELECT id FROM s) AS x WHERE u.id = x.id", [1]),
    ('b.delete("t"):where(b.lt({at = 10})):order_by("at"):limit(5)',
     "DELETE FROM t WHERE at < ? ORDER BY at LIMIT 5", [10]),
    ('b.delete():from("t")', "DELETE FROM t", []),
])
async def test_builder_forms(tmp_path, expr, sql, args):
    async with lua_db(tmp_path) as (run, _):
        assert await to_sql(run, expr) == (sql, args)


async def test_nil_args_keep_their_position(tmp_path):
    async with lua_db(tmp_path) as (run, _):
        r = await run('local s, a = b.insert("t"):columns("a", "b", "c"):values(nil, 2, nil):to_sql()\n'
                      'return s, a[1], a[2], a[3], select("#", table.unpack(a, 1, 3))')
        assert r.values == ["INSERT INTO t (a,b,c) VALUES (?,?,?)", None, 2, None, 3]


async def test_table_values_never_become_sql(tmp_path):
    async with lua_db(tmp_path) as (run, _):
        evil = '{cond = "raw", sql = "1); DROP TABLE tasks; --", _s = {cond = "raw", sql = "x"}}'
        sql, args = await to_sql(run, f'b.insert("t"):columns("a"):values({evil})')
        assert (sql, args) == ("INSERT INTO t (a) VALUES (?)", [])   # NULL shows as a hole
        sql, _ = await to_sql(run, f'b.update("t"):set("a", {evil})')
        assert sql == "UPDATE t SET a = ?"


async def test_builders_are_immutable(tmp_path):
    async with lua_db(tmp_path) as (run, _):
        r = await run("""
            local base = b.select("a"):from("t")
            local filtered = base:where({a = 1})
            local limited = filtered:limit(3)
            return (base:to_sql()), (filtered:to_sql()), (limited:to_sql()), tostring(limited)""")
        assert r.values == ["SELECT a FROM t", "SELECT a FROM t WHERE a = ?",
                            "SELECT a FROM t WHERE a = ? LIMIT 3",
                            "SelectBuilder: SELECT a FROM t WHERE a = ? LIMIT 3 [Args: [1]]"]


async def test_render_errors_come_back_as_values(tmp_path):
    async with lua_db(tmp_path) as (run, _):
        r = await run('return b.select():from("t"):to_sql()')
        assert r.values[0] is None and r.error.message == "select statements must have at least one result column"
        assert r.error.kind == INVALID
        # run_with always returns an executor; the render error comes from query/exec.
        for method in ("exec", "query", "to_sql"):
            r = await run('local db = sql.get("app:db")\nlocal ex = b.update("t"):run_with(db)\n'
                          f'assert(type(ex) == "table" and tostring(ex) == "sql.QueryExecutor")\n'
                          f'return ex:{method}()')
            assert not r.raised, r.error
            assert r.values[0] is None, (method, r.values)
            assert r.error.message == "update statements must have at least one Set clause"
            assert r.error.kind == INVALID
        r = await run('local db = sql.get("app:db")\n'
                      'return b.select():from("tasks"):run_with(db):query()')
        assert r.values[0] is None and r.error.kind == INVALID
        assert r.error.message == "select statements must have at least one result column"
        r = await run('return b.select("x"):where(b.lt({a = sql.NULL})):to_sql()')
        assert r.error.message == "cannot use null with less than or greater than operators"
        r = await run('return b.select("x"):run_with({})')
        assert r.raised and "database or transaction expected" in r.error.message
        r = await run('return b.select("x"):placeholder_format("percent")')
        assert r.raised and "expected placeholder format" in r.error.message
        r = await run('return b.select("x"):where(42)')
        assert r.raised and "expected string, table, or Sqlizer" in r.error.message
        r = await run('return b.select(1)')
        assert r.raised and "bad argument #1 to 'select'" in r.error.message
        r = await run('return b.or_({1})')
        assert r.raised and "expected Sqlizer or table in OR condition, got number" in r.error.message


# On both drivers: run_with() numbers the placeholders ($n) itself on PostgreSQL.
async def test_executors_run_on_db_and_tx(tmp_path, db_driver):
    async with lua_db(tmp_path, db_driver) as (run, db):
        r = await run("""
            local db = sql.get("app:db")
            local insert = b.insert("tasks"):columns("id", "payload", "status", "result", "created_at", "processed_at")
                :values("t1", "{}", "completed", "{}", 1, os.time())
            local res = assert(insert:run_with(db):exec())
            local tx = assert(db:begin())
            assert(b.update("tasks"):set("status", "archived"):where({id = "t1"}):run_with(tx):exec())
            local in_tx = assert(b.select("status"):from("tasks"):run_with(tx):query())[1].status
            tx:commit()
            local ex = b.select("id", "status"):from("tasks"):where({status = "archived"}):run_with(db)
            local s, a = ex:to_sql()
            local rows = assert(ex:query())
            local del = assert(b.delete("tasks"):where({id = "t1"}):run_with(db):exec())
            return {res.rows_affected, in_tx, s, a[1], #rows, rows[1].id, del.rows_affected}""")
        assert r.error is None, r.error
        assert r.values[0] == [1, "archived", "SELECT id, status FROM tasks WHERE status = "
                               + db_driver.pick("?", "$1"),
                               "archived", 1, "t1", 1]
        assert await db.query("SELECT count(*) AS c FROM tasks") == [{"c": 0}]


async def test_sqlizer_to_sql_and_tostring(tmp_path):
    async with lua_db(tmp_path) as (run, _):
        r = await run("""
            local e = b.and_(b.eq({a = 1}), b.gt({b = 2}))
            local s, a = e:to_sql()
            return s, a, tostring(b.expr("x = ?", nil))""")
        assert r.values == ["(a = ? AND b > ?)", [1, 2], "SQL: x = ? [Args: [<nil>]]"]


@pytest.mark.parametrize("expr", [
    'b.insert("tasks"):columns("id", "status", "created_at"):values("t1", "new", 5)',
    'b.insert("tasks"):columns("id", "payload"):values("t2", true)',
    'b.insert("tasks"):columns("id", "created_at"):values("t3", 1.5)',
    'b.insert("tasks"):values("t4", "p", "s", "r", 1, 2)',                 # no columns
    'b.insert("tasks"):columns("id", "result"):values("t5", sql.NULL)',    # general path
    'b.insert("tasks"):columns("id"):values("t6"):values("t7")',           # two rows
    'b.insert("tasks"):columns("id"):values("t8"):suffix("RETURNING id")',
    'b.insert("tasks"):columns("id"):values("t9"):placeholder_format(b.dollar)',
    'b.insert("tasks"):options("OR IGNORE"):columns("id"):values("t10")',
    'b.insert(""):columns("id"):values("t11")',                            # render error
])
async def test_run_with_renders_like_to_sql(tmp_path, expr):
    """SQLite only: on PostgreSQL run_with() renders `$n`, so it differs from to_sql() by
    design (tests/postgres/test_lua_module.py::test_builder_run_with_switches_to_dollar).
    run_with() passes one-row plain INSERTs as flat arguments (flat_insert); every
    shape must still give exactly the SQL and args of the general renderer."""
    async with lua_db(tmp_path) as (run, _):
        r = await run(f"local q = {expr}\n"
                      "local s, a = q:to_sql()\n"
                      'local e = q:run_with(sql.get("app:db"))\n'
                      "local s2, a2 = e:to_sql()\n"
                      "if s2 == nil then return {direct = s == nil, err = tostring(a2)} end\n"
                      "return {same_sql = s == s2, sql = s2, a = a, a2 = a2}")
        assert r.error is None and not r.raised, r.error
        v = r.values[0]
        if "err" in v:
            assert v["direct"] and "must specify a table" in v["err"]
            return
        assert v["same_sql"], v
        assert v["a"] == v["a2"]
