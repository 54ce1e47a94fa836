"""The query builder renders what Masterminds/squirrel renders (Go Wippy's builder)."""
import pytest

from wippy.errors import INVALID, WippyError
from tests.sql import fluent as b

TUTORIAL_COLUMNS = ("id", "payload", "status", "result", "created_at", "processed_at")


def test_tutorial_select_renders_exactly():
    query = b.select(*TUTORIAL_COLUMNS).from_("tasks").order_by("created_at DESC").limit(100)
    query = query.where({"status": "completed"})
    assert query.to_sql() == (
        "SELECT id, payload, status, result, created_at, processed_at FROM tasks "
        "WHERE status = ? ORDER BY created_at DESC LIMIT 100", ["completed"])


def test_tutorial_insert_renders():
    insert = b.insert("tasks").columns(*TUTORIAL_COLUMNS).values("t1", "{}", "completed", "{}", 1, 2)
    assert insert.to_sql() == (
        "INSERT INTO tasks (id,payload,status,result,created_at,processed_at) VALUES (?,?,?,?,?,?)",
        ["t1", "{}", "completed", "{}", 1, 2])


def test_builders_are_immutable():
    base = b.select("a").from_("t")
    filtered = base.where("a > ?", 1)
    assert base.to_sql() == ("SELECT a FROM t", [])
    assert filtered.to_sql() == ("SELECT a FROM t WHERE a > ?", [1])


def test_clause_order_in_the_chain_does_not_matter():
    one = b.select("a").limit(5).where({"b": 1}).from_("t").order_by("a")
    two = b.select("a").from_("t").where({"b": 1}).order_by("a").limit(5)
    assert one.to_sql() == two.to_sql() == ("SELECT a FROM t WHERE b = ? ORDER BY a LIMIT 5", [1])


@pytest.mark.parametrize("cond, sql, args", [
    ({"b": 2, "a": 1}, "a = ? AND b = ?", [1, 2]),                 # keys sorted
    ({"a": None}, "a IS NULL", []),
    ({"a": [1, 2]}, "a IS NULL", []),                              # no implicit IN
    ({}, "(1=1)", []),
    (b.eq("a", 1), "a = ?", [1]),
    (b.not_eq({"a": 1, "b": None}), "a <> ? AND b IS NOT NULL", [1]),
    (b.lt({"a": 1}), "a < ?", [1]),
    (b.lte({"a": 1}), "a <= ?", [1]),
    (b.gt({"a": 1}), "a > ?", [1]),
    (b.gte({"a": 1, "b": 2}), "a >= ? AND b >= ?", [1, 2]),
    (b.like({"name": "a%"}), "name LIKE ?", ["a%"]),
    (b.not_like({"name": "a%"}), "name NOT LIKE ?", ["a%"]),
    (b.expr("a = ? OR b = ?", 1, None), "a = ? OR b = ?", [1, None]),
    (b.and_([b.eq({"a": 1}), b.gt({"b": 2})]), "(a = ? AND b > ?)", [1, 2]),
    (b.or_([b.eq({"a": 1}), {"b": None}]), "(a = ? OR b IS NULL)", [1]),
    (b.and_([]), "(1=1)", []),
    (b.or_([]), "(1=0)", []),
    (b.or_([b.and_([b.eq({"a": 1}), b.eq({"b": 2})]), b.eq({"c": 3})]),
     "((a = ? AND b = ?) OR c = ?)", [1, 2, 3]),
])
def test_where_forms(cond, sql, args):
    assert b.select("x").from_("t").where(cond).to_sql() == (f"SELECT x FROM t WHERE {sql}", args)


def test_where_string_with_args_and_repeats_are_anded():
    q = b.select("x").from_("t").where("a = ? OR b = ?", 1, 2).where({"c": 3}).where("")
    assert q.to_sql() == ("SELECT x FROM t WHERE a = ? OR b = ? AND c = ?", [1, 2, 3])


@pytest.mark.parametrize("fmt, sql", [
    ("question", "SELECT x FROM t WHERE a = ? AND b = ? AND c ?? d"),
    ("dollar", "SELECT x FROM t WHERE a = $1 AND b = $2 AND c ? d"),
    ("at", "SELECT x FROM t WHERE a = @p1 AND b = @p2 AND c ? d"),
    ("colon", "SELECT x FROM t WHERE a = :1 AND b = :2 AND c ? d"),
])
def test_placeholder_formats(fmt, sql):
    q = b.select("x").from_("t").where("a = ? AND b = ? AND c ?? d", 1, 2).placeholder_format(fmt)
    assert q.to_sql() == (sql, [1, 2])


def test_unknown_placeholder_format():
    with pytest.raises(WippyError, match="placeholder format"):
        b.select("x").placeholder_format("percent")


def test_full_select():
    q = (b.select("u.id", "count(*) AS n").distinct().columns("max(o.total)")
         .from_("users u").left_join("orders o ON o.user_id = u.id AND o.kind = ?", "web")
         .join("teams t ON t.id = u.team").where(b.gt({"u.age": 18}))
         .group_by("u.id").having("count(*) > ?", 2).order_by("n DESC", "u.id")
         .limit(-5).offset(10).suffix("FOR UPDATE"))
    assert q.to_sql() == (
        "SELECT DISTINCT u.id, count(*) AS n, max(o.total) FROM users u "
        "LEFT JOIN orders o ON o.user_id = u.id AND o.kind = ? JOIN teams t ON t.id = u.team "
        "WHERE u.age > ? GROUP BY u.id HAVING count(*) > ? ORDER BY n DESC, u.id "
        "LIMIT 0 OFFSET 10 FOR UPDATE",
        ["web", 18, 2])


def test_insert_forms():
    multi = b.insert("t").columns("a", "b").values(1, None).values(b.expr("abs(?)", -3), "x")
    assert multi.to_sql() == ("INSERT INTO t (a,b) VALUES (?,?),(abs(?),?)", [1, None, -3, "x"])
    set_map = b.insert().into("t").set_map({"b": 2, "a": 1}).options("OR IGNORE")
    assert set_map.to_sql() == ("INSERT OR IGNORE INTO t (a,b) VALUES (?,?)", [1, 2])
    from_select = b.insert("t").columns("a").select(b.select("x").from_("s").where({"y": 1}))
    assert from_select.to_sql() == ("INSERT INTO t (a) SELECT x FROM s WHERE y = ?", [1])
    tail = (b.insert("t").columns("id").values(1).prefix("/* p */")
            .suffix("ON CONFLICT (id) DO NOTHING").placeholder_format("dollar"))
    assert tail.to_sql() == ("/* p */ INSERT INTO t (id) VALUES ($1) ON CONFLICT (id) DO NOTHING", [1])


def test_insert_values_sanitise_tables_to_null():
    assert b.insert("t").columns("a").values({"cond": "raw", "sql": "1); DROP TABLE t; --"}).to_sql() \
        == ("INSERT INTO t (a) VALUES (?)", [None])


def test_update_forms():
    q = (b.update("t").set("a", 1).set("n", b.expr("n + ?", 1)).set_map({"c": None, "b": "x"})
         .where({"id": 5}).order_by("id").limit(1))
    assert q.to_sql() == ("UPDATE t SET a = ?, n = n + ?, b = ?, c = ? WHERE id = ? ORDER BY id LIMIT 1",
                          [1, 1, "x", None, 5])
    sub = b.update("t").set("total", b.select("sum(v)").from_("o").where("o.t = t.id"))
    assert sub.to_sql() == ("UPDATE t SET total = (SELECT sum(v) FROM o WHERE o.t = t.id)", [])
    frm = b.update("t").table("u").set("a", 1).from_select(b.select("id").from_("s"), "x").where("u.id = x.id")
    assert frm.to_sql() == ("UPDATE u SET a = ? FROM (SELECT id FROM s) AS x WHERE u.id = x.id", [1])
    assert b.update("t").set("a", 1).from_("s").offset(2).to_sql() == ("UPDATE t SET a = ? FROM s OFFSET 2", [1])


def test_delete_forms():
    q = b.delete("t").where(b.lt({"at": 10})).order_by("at").limit(100).placeholder_format("dollar")
    assert q.to_sql() == ("DELETE FROM t WHERE at < $1 ORDER BY at LIMIT 100", [10])
    assert b.delete().from_("t").to_sql() == ("DELETE FROM t", [])


@pytest.mark.parametrize("build, message", [
    (lambda: b.select().from_("t"), "select statements must have at least one result column"),
    (lambda: b.insert().values(1), "insert statements must specify a table"),
    (lambda: b.insert("t").columns("a"), "insert statements must have at least one set of values or select clause"),
    (lambda: b.update().set("a", 1), "update statements must specify a table"),
    (lambda: b.update("t"), "update statements must have at least one Set clause"),
    (lambda: b.delete(), "delete statements must specify a From table"),
    (lambda: b.select("x").where(b.lt({"a": None})), "cannot use null with less than or greater than operators"),
    (lambda: b.select("x").where(b.like({"a": None})), "cannot use null with like operators"),
])
def test_render_errors(build, message):
    with pytest.raises(WippyError) as info:
        build().to_sql()
    assert info.value.message == message
    assert info.value.kind == INVALID


def test_render_plain_state_from_lua_shapes():
    # Lua sends packed varargs ({"n": .., 1: ..}) and sql.NULL as an empty table.
    state = {"type": "insert", "into": "t", "columns": ["a", "b", "c"],
             "rows": [{"n": 3, 1: "x", 3: []}]}
    assert b.render(state) == ("INSERT INTO t (a,b,c) VALUES (?,?,?)", ["x", None, None])
    with pytest.raises(WippyError, match="unknown builder type"):
        b.render({"type": "merge"})
