"""The `sql` Lua module (docs/modules/sql.md): Python side of sql.lua.

Lua objects carry integer handles; `call.state["sql"]` maps them to the
real objects (a Database reference, a Transaction, a Statement, a rendered
builder) for this call only. When the call ends, transactions still open are
rolled back and statements closed (`call.defer`).

Host functions (no waiting, run on the Lua thread): get, release, stats,
render/render_cond/describe (builder SQL), bind/bind_insert (run_with), bound_sql,
stmt_close, tx_type, execute_now/run_now. Async ops (awaited on the loop):
sql.query, sql.execute, sql.prepare, sql.begin, sql.tx, sql.stmt, sql.run.

`db:execute()` and a builder's `exec()` first try `execute_now`/`run_now`:
when the call runs on the event loop and the database's loop fast path can
take the write at once (sql/fastpath.py), it runs inside the host call and
the handler never yields. Otherwise they return false and Lua awaits the op,
which gives the same result or error by the longer way.

A call that holds an open read-write transaction and then writes through
the DB object instead of the transaction would wait for itself forever
(SQLite has one writer); that fails at once with an error saying so.
"""
from __future__ import annotations

from importlib import resources
from typing import Any

from ....registry.entry import qualify, split_id
from ....errors import INVALID, NOT_FOUND, WippyError
from ....sql import Database, Statement, Transaction
from ....sql.postgres import PostgresDatabase, PostgresTransaction
from ....sql.fastpath import MISS
from ....sql.builder import render, render_cond
from ....sql.statements import READ, classify
from ..base import LuaModule

STATE_KEY = "sql"


def _invalid(message: str) -> WippyError:
    return WippyError(message, INVALID, retryable=False)


class DbRef:
    """What `sql.get` hands out: the shared Database plus a released flag."""
    __slots__ = ("db", "released")

    def __init__(self, db: Database):
        self.db, self.released = db, False


class Bound:
    """A builder rendered by run_with(): SQL, args and the runner's handle."""
    __slots__ = ("runner", "sql", "args")

    def __init__(self, runner: int, sql: str, args: list):
        self.runner, self.sql, self.args = runner, sql, args


class CallHandles:
    """Per-call handle table; cleans up when the call ends."""

    def __init__(self) -> None:
        self.objs: dict[int, Any] = {}
        self.next = 0

    def add(self, obj: Any) -> int:
        self.next += 1
        self.objs[self.next] = obj
        return self.next

    def get(self, h: Any, kinds: tuple, what: str) -> Any:
        obj = self.objs.get(h) if isinstance(h, int) else None
        if not isinstance(obj, kinds):
            raise _invalid(f"invalid {what} handle (objects cannot be shared between calls)")
        return obj

    def owns(self, tx: Transaction) -> bool:
        return any(obj is tx for obj in self.objs.values())

    def cleanup(self) -> Any:
        """Release everything; a coroutine only if open transactions must roll back."""
        open_txs = []
        for obj in self.objs.values():
            if isinstance(obj, TRANSACTIONS):
                if obj.active:
                    open_txs.append(obj)
            elif isinstance(obj, Statement):
                obj.closed = True
            elif isinstance(obj, DbRef):
                obj.released = True
        self.objs.clear()
        return _roll_back(open_txs) if open_txs else None


async def _roll_back(transactions: list) -> None:
    for tx in transactions:
        try:
            await tx.rollback()
        except WippyError:
            pass


# Both engines' objects have the same interface; only SQLite's has a single writer to guard.
DATABASES = (Database, PostgresDatabase)
TRANSACTIONS = (Transaction, PostgresTransaction)


def handles(call: Any) -> CallHandles:
    state = call.state.get(STATE_KEY)
    if state is None:
        state = call.state[STATE_KEY] = CallHandles()
        call.defer(state.cleanup)
    return state


def runner(call: Any, h: Any) -> Database | Transaction:
    obj = handles(call).get(h, (DbRef, *TRANSACTIONS), "database")
    return obj.db if isinstance(obj, DbRef) else obj


def _guard_self_lock(call: Any, target: Any, op: str, writes: bool) -> None:
    if not writes or not isinstance(target, Database):
        return
    tx = target.write_tx
    if tx is not None and tx.active and handles(call).owns(tx):
        raise _invalid(f"this call holds an open transaction on {target.entry_id}, and SQLite "
                       f"has a single writer: db:{op}() would wait for it forever. Run it "
                       f"through the transaction (tx:{op}()) or commit first")


def _writes(target: Any, sql: Any) -> bool:
    return isinstance(target, Database) and (target.memory or not isinstance(sql, str)
                                             or classify(sql) != READ)


# ---------------------------------------------------------------- host functions

def get(call: Any, resource_id: Any) -> tuple:
    if not isinstance(resource_id, str) or resource_id == "":
        raise _invalid("resource id is required")
    obj = call.objects.get(resource_id)
    if obj is None and ":" not in resource_id:
        obj = call.objects.get(qualify(resource_id, split_id(call.entry_id)[0]))
    if obj is None:
        raise WippyError("resource not found", NOT_FOUND, retryable=False)
    if not isinstance(obj, DATABASES):
        raise _invalid(f"resource is not a database: {resource_id}")
    return handles(call).add(DbRef(obj)), obj.type


def release(call: Any, h: Any) -> tuple:
    handles(call).get(h, (DbRef,), "database").released = True
    return True, None


def stats(call: Any, h: Any) -> Any:
    return call.to_lua(handles(call).get(h, (DbRef,), "database").db.stats())


def tx_type(call: Any, h: Any) -> tuple:
    tx = handles(call).get(h, TRANSACTIONS, "transaction")
    if not tx.active:
        raise _invalid("transaction is not active")
    return tx.type, None


def _sql_and_args(call: Any, sql: str, args: list) -> tuple:
    return sql, call.to_lua(args)


def render_builder(call: Any, state: Any) -> tuple:
    sql, args = render(call.from_lua(state))
    return _sql_and_args(call, sql, args)


def render_condition(call: Any, state: Any) -> tuple:
    sql, args = render_cond(call.from_lua(state))
    return _sql_and_args(call, sql, args)


def describe(call: Any, state: Any, label: Any) -> str:
    """__tostring of builders and Sqlizers (Go: `SelectBuilder: <sql> [Args: [..]]`)."""
    plain = call.from_lua(state)
    try:
        sql, args = render_cond(plain) if label == "SQL" else render(plain)
    except WippyError as exc:
        return f"{label} Error: {exc.message}"
    shown = " ".join("<nil>" if a is None else str(a) for a in args)
    return f"{label}: {sql} [Args: [{shown}]]"


def _for_runner(target: Any, state: dict) -> dict:
    """run_with() on PostgreSQL renders `$n` placeholders by itself (as Go's executor does)
    unless the builder chose a format; SQLite keeps `?`."""
    if target.type == "postgres" and state.get("placeholder") in (None, "question"):
        state = dict(state, placeholder="dollar")
    return state


def bind(call: Any, h: Any, state: Any) -> int:
    target = runner(call, h)  # the runner must be valid now, as in Go
    sql, args = render(_for_runner(target, call.from_lua(state)))
    return handles(call).add(Bound(h, sql, args))


_INSERT_SQL: dict[tuple, str] = {}   # (into, columns, value count) -> rendered INSERT
_INSERT_SQL_MAX = 256


def bind_insert(call: Any, h: Any, into: Any, ncols: int, *rest: Any) -> int:
    """run_with() of a one-row INSERT of plain values (sql_builder.lua flat_insert)."""
    target = runner(call, h)
    columns, values = rest[:ncols], list(rest[ncols:])
    key = (into, columns, len(values), target.type)
    sql = _INSERT_SQL.get(key)
    if sql is None:
        sql, _ = render(_for_runner(target, {"type": "insert", "into": into,
                                             "columns": list(columns), "rows": [values]}))
        if len(_INSERT_SQL) >= _INSERT_SQL_MAX:
            _INSERT_SQL.clear()
        _INSERT_SQL[key] = sql
    return handles(call).add(Bound(h, sql, values))


def bound_sql(call: Any, eh: Any) -> tuple:
    b = handles(call).get(eh, (Bound,), "executor")
    return _sql_and_args(call, b.sql, b.args)


def stmt_close(call: Any, sh: Any) -> tuple:
    handles(call).get(sh, (Statement,), "statement").closed = True
    return True, None


def _write_now(call: Any, target: Any, sql: Any, params: Any) -> Any:
    """A write done right here, as a Lua value; False when it has to be awaited."""
    worker = call.worker
    if (not isinstance(target, DATABASES) or worker is None or not worker.on_loop
            or call.deadline <= worker.loop.time()):
        return False
    _guard_self_lock(call, target, "execute", True)
    result = target.execute_now(sql, params, call.deadline)
    return False if result is MISS else call.to_lua(result)


def execute_now(call: Any, h: Any, sql: Any, params: Any = None) -> Any:
    """db:execute() without a yield when the loop's fast path can take it."""
    if not isinstance(sql, str):
        return False
    return _write_now(call, runner(call, h), sql,
                      call.from_lua(params) if params is not None else None)


def run_now(call: Any, eh: Any) -> Any:
    """A bound builder's exec() without a yield when the loop's fast path can take it."""
    b = handles(call).get(eh, (Bound,), "executor")
    return _write_now(call, runner(call, b.runner), b.sql, b.args)


# ---------------------------------------------------------------- async ops

async def op_query(call: Any, h: Any, sql: Any, params: Any = None) -> list:
    target = runner(call, h)
    _guard_self_lock(call, target, "query", _writes(target, sql))
    return await target.query(sql, params, deadline=call.deadline)


async def op_execute(call: Any, h: Any, sql: Any, params: Any = None) -> dict:
    target = runner(call, h)
    _guard_self_lock(call, target, "execute", True)
    return await target.execute(sql, params, deadline=call.deadline)


async def op_prepare(call: Any, h: Any, sql: Any) -> int:
    stmt = await runner(call, h).prepare(sql)
    return handles(call).add(stmt)


async def op_begin(call: Any, h: Any, isolation: Any = None, read_only: Any = False) -> int:
    db = handles(call).get(h, (DbRef,), "database").db
    read_only = read_only is True
    _guard_self_lock(call, db, "begin", not read_only or db.memory)
    if isolation is not None and not isinstance(isolation, str):
        isolation = None
    tx = await db.begin(isolation, read_only)
    return handles(call).add(tx)


async def op_tx(call: Any, h: Any, action: str, name: Any = None) -> bool:
    tx = handles(call).get(h, TRANSACTIONS, "transaction")
    if action == "commit":
        return await tx.commit()
    if action == "rollback":
        return await tx.rollback()
    if action in ("savepoint", "rollback_to", "release"):
        return await getattr(tx, action)(name)
    raise _invalid(f"unknown transaction operation {action!r}")


async def op_stmt(call: Any, sh: Any, mode: str, params: Any = None) -> Any:
    stmt = handles(call).get(sh, (Statement,), "statement")
    if isinstance(stmt.owner, DATABASES):
        _guard_self_lock(call, stmt.owner, mode,
                         mode == "execute" or _writes(stmt.owner, stmt.sql))
    if mode == "query":
        return await stmt.query(params, deadline=call.deadline)
    return await stmt.execute(params, deadline=call.deadline)


async def op_run(call: Any, eh: Any, mode: str) -> Any:
    b = handles(call).get(eh, (Bound,), "executor")
    target = runner(call, b.runner)
    if mode == "query":
        _guard_self_lock(call, target, "query", _writes(target, b.sql))
        return await target.query(b.sql, b.args, deadline=call.deadline)
    _guard_self_lock(call, target, "execute", True)
    return await target.execute(b.sql, b.args, deadline=call.deadline)


def _source(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text()


class SqlModule(LuaModule):
    name = "sql"
    # sql_builder.lua evaluates to the builder factory, bound as BUILDER in front of sql.lua.
    lua = ("local BUILDER = (function()\n" + _source("sql_builder.lua") + "\nend)()\n"
           + _source("sql.lua"))

    def host_functions(self) -> dict[str, Any]:
        return {
            "get": get, "release": release, "stats": stats, "tx_type": tx_type,
            "execute_now": execute_now, "run_now": run_now, "bind_insert": bind_insert, "render": render_builder, "render_cond": render_condition, "describe": describe,
            "bind": bind, "bound_sql": bound_sql, "stmt_close": stmt_close,
        }

    def async_ops(self) -> dict[str, Any]:
        return {
            "sql.query": op_query, "sql.execute": op_execute, "sql.prepare": op_prepare,
            "sql.begin": op_begin, "sql.tx": op_tx, "sql.stmt": op_stmt, "sql.run": op_run,
        }
