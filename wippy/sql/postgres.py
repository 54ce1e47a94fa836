"""PostgresDatabase: the object a `db.sql.postgres` entry builds (docs/kinds/sql.md).

It has the public interface of the SQLite `Database` (database.py), so the Lua `sql` module
treats both alike: `start`/`stop`, `query`/`execute` (rows as dicts, NULL columns left out),
`prepare`, `begin` (a transaction with savepoints), `stats`, `type`. Differences that follow
from PostgreSQL, as in Go Wippy with lib/pq:

- Raw SQL passes through unchanged: placeholders are `$1, $2 ...` (asyncpg's own).
- `execute` returns `last_insert_id` 0; read new ids with `query("INSERT ... RETURNING id")`.
- numeric, uuid and json(b) come back as strings; timestamps and dates as RFC 3339 strings.
- Every connection is a pool connection (asyncpg): no single writer, so no self-lock guard.
- Errors keep Wippy's vocabulary (postgres_errors.py).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import logging
import time
import uuid
import weakref
from typing import Any

import asyncpg

from ..errors import INVALID, WippyError
from .errors import closed_error, tx_not_active
from .fastpath import MISS
from .postgres_ddl import DDL_LOCK_KEY, is_schema_change
from .postgres_errors import translate
from .postgres_reset import plain_write
from .statements import check_savepoint, check_sql
from .transaction import Statement
from .values import params_list

ISOLATION = {"default": None, "read_uncommitted": "read_uncommitted",
             "read_committed": "read_committed", "repeatable_read": "repeatable_read",
             "serializable": "serializable"}
UNLIMITED_OPEN = 100   # pool.max_open 0 ("unlimited" in Go) -> PostgreSQL's default max_connections

_OP = {"fetch": "query", "execute": "execute"}


def _value(v: Any) -> Any:
    """A column value as Lua will see it (see the module doc)."""
    if isinstance(v, (decimal.Decimal, uuid.UUID)):
        return str(v)
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            return v.isoformat()
        return v.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    if isinstance(v, (list, tuple)):
        return [_value(x) for x in v]
    return v


def _rows(records: list) -> list[dict]:
    return [{k: _value(v) for k, v in r.items() if v is not None} for r in records]


def _affected(status: str) -> int:
    """`INSERT 0 3` / `UPDATE 2` / `DELETE 1` -> the count; other commands -> 0."""
    last = status.rsplit(" ", 1)[-1] if status else ""
    return int(last) if last.isdigit() else 0


class _Runner:
    """query/execute/prepare on one asyncpg executor (the pool, or a transaction's
    connection); shared by PostgresDatabase and PostgresTransaction."""
    max_rows: int

    async def _run(self, conn: Any, fn: str, sql: str, params: Any,
                   deadline: float | None) -> Any:
        check_sql(sql)
        values = params_list(params)
        timeout = None
        if deadline is not None:
            timeout = deadline - asyncio.get_running_loop().time()
            if timeout <= 0:
                raise translate(asyncio.TimeoutError(), _OP[fn])
        try:
            return await getattr(conn, fn)(sql, *values, timeout=timeout)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise translate(exc, _OP[fn]) from None

    async def _query(self, conn: Any, sql: str, params: Any, deadline: float | None) -> list:
        records = await self._run(conn, "fetch", sql, params, deadline)
        if len(records) > self.max_rows:
            raise WippyError(f"query returned more than {self.max_rows} rows; add a LIMIT "
                             f"(or raise options.max_rows)", INVALID, retryable=False)
        return _rows(records)

    async def _execute(self, conn: Any, sql: str, params: Any, deadline: float | None) -> dict:
        status = await self._run(conn, "execute", sql, params, deadline)
        return {"last_insert_id": 0, "rows_affected": _affected(status)}


class PostgresDatabase(_Runner):
    type = "postgres"
    memory = False       # the SQLite-only flags the Lua module reads
    write_tx = None

    def __init__(self, entry_id: str, connect: dict, *, max_open: int = 0, max_idle: int = 0,
                 max_lifetime: float = 3600.0, max_rows: int = 100_000,
                 logger: logging.Logger | None = None):
        self.entry_id = entry_id
        self.connect = connect          # asyncpg.connect keywords
        self.max_open = max_open or UNLIMITED_OPEN
        self.max_idle = min(max_idle, self.max_open)
        self.max_lifetime = max_lifetime
        self.max_rows = max_rows
        self.log = logger or logging.getLogger(f"wippy.{entry_id}")
        self.pool: asyncpg.Pool | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None
        self._closed = False
        self._tx: set[PostgresTransaction] = set()
        self._opened: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._clean: weakref.WeakSet = weakref.WeakSet()   # may skip the reset (postgres_reset.py)
        self.lifetime_closed = 0     # connections retired for their age (stats)

    @property
    def where(self) -> str:
        return f"{self.connect.get('host')}:{self.connect.get('port')}/{self.connect.get('database')}"

    async def start(self) -> None:
        """Open the pool and ping the server (Go's Start does the same); a server that is
        down fails the start with one retryable line."""
        self._closed = False
        await self._open()

    async def _open(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.pool is not None:
                return
            self.loop = asyncio.get_running_loop()
            try:
                # asyncpg keeps min_size connections open, which is what max_idle asks for;
                # connections beyond it are closed after max_lifetime idle, and any
                # connection older than max_lifetime is closed when released (_reset_or_retire).
                pool = await asyncpg.create_pool(
                    min_size=self.max_idle, max_size=self.max_open,
                    max_inactive_connection_lifetime=self.max_lifetime,
                    init=self._born, reset=self._reset_or_retire, **self.connect)
                async with pool.acquire() as conn:
                    await conn.fetchval("SELECT 1")
            except Exception as exc:
                err = translate(exc, "connect")
                reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else err.message
                raise WippyError(f"{self.entry_id}: cannot connect to PostgreSQL at {self.where}:"
                                 f" {reason}", err.kind, retryable=err.retryable) from None
            self.pool = pool
            self.log.debug("connected to %s", self.where)

    async def _born(self, conn: Any) -> None:
        """asyncpg's `init`: a new connection's opening time, for pool.max_lifetime."""
        self._opened[conn] = time.monotonic()

    async def _reset_or_retire(self, conn: Any) -> None:
        """asyncpg's `reset`, run on every release: a connection older than
        pool.max_lifetime is closed (the pool opens a new one when it is next needed);
        any other is reset as asyncpg does by default."""
        opened = self._opened.get(conn)
        if opened is not None and time.monotonic() - opened >= self.max_lifetime:
            self.lifetime_closed += 1
            await conn.close()
            return
        if conn in self._clean:      # asyncpg has already rolled back any open transaction
            self._clean.discard(conn)
            return
        await conn.reset()

    async def _ready(self) -> asyncpg.Pool:
        if self._closed:
            raise closed_error()
        if self.pool is None:
            await self._open()
        return self.pool

    async def stop(self, timeout: float | None = None) -> None:
        self._closed = True
        pool, self.pool = self.pool, None
        self._lock = None
        if pool is None:
            return
        try:
            await asyncio.wait_for(pool.close(), timeout or 5.0)
        except (asyncio.TimeoutError, Exception):
            pool.terminate()

    async def query(self, sql: str, params: Any = None, *,
                    deadline: float | None = None) -> list[dict]:
        if is_schema_change(sql):
            return await self._schema_change(self._query, sql, params, deadline)
        return await self._on_pool(self._query, "fetch", sql, params, deadline)

    async def execute(self, sql: str, params: Any = None, *,
                      deadline: float | None = None) -> dict:
        if is_schema_change(sql):
            return await self._schema_change(self._execute, sql, params, deadline)
        return await self._on_pool(self._execute, "execute", sql, params, deadline)

    async def _on_pool(self, run: Any, fn: str, sql: str, params: Any,
                       deadline: float | None) -> Any:
        """One statement on a pool connection; a plain write's release skips the reset."""
        pool = await self._ready()
        try:
            conn = await pool.acquire()
        except Exception as exc:
            raise translate(exc, _OP[fn]) from None
        try:
            result = await run(conn, sql, params, deadline)
            raw = getattr(conn, "_con", conn)    # the pool hands the reset the bare connection
            if not raw.is_in_transaction() and plain_write(sql, fn == "fetch" or
                                                          bool(params_list(params))):
                self._clean.add(raw)
            return result
        finally:
            try:
                await pool.release(conn)
            except Exception as exc:   # the reset failed: asyncpg has dropped the connection
                raise translate(exc, _OP[fn]) from None

    async def _schema_change(self, run: Any, sql: str, params: Any,
                             deadline: float | None) -> Any:
        """CREATE/ALTER/DROP under the cluster-wide DDL lock (postgres_ddl.py), so that
        nodes running the same migration at once do not race in the catalog."""
        pool = await self._ready()
        try:
            conn = await pool.acquire()
        except Exception as exc:
            raise translate(exc, "execute") from None
        try:
            await self._run(conn, "execute", "SELECT pg_advisory_lock($1)", [DDL_LOCK_KEY],
                            deadline)
            try:
                return await run(conn, sql, params, deadline)
            finally:
                try:
                    await conn.execute("SELECT pg_advisory_unlock($1)", DDL_LOCK_KEY)
                except Exception:
                    conn.terminate()   # the session ends, and the server frees its lock
        finally:
            await pool.release(conn)

    def execute_now(self, sql: str, params: Any = None, deadline: float | None = None) -> Any:
        return MISS   # every statement is a network round trip: always awaited

    async def prepare(self, sql: str) -> Statement:
        """Check the statement on the server now (errors surface here)."""
        check_sql(sql)
        pool = await self._ready()
        try:
            async with pool.acquire() as conn:
                await conn.prepare(sql)
        except Exception as exc:
            raise translate(exc, "prepare") from None
        return Statement(self, sql)

    async def begin(self, isolation: str | None = None,
                    read_only: bool = False) -> "PostgresTransaction":
        if isolation is not None and isolation not in ISOLATION:
            raise WippyError(f"invalid isolation level: {isolation}", INVALID, retryable=False)
        pool = await self._ready()
        try:
            conn = await pool.acquire()
        except Exception as exc:
            raise translate(exc, "begin") from None
        tx = PostgresTransaction(self, conn)
        try:
            tx._tx = conn.transaction(isolation=ISOLATION.get(isolation or "default"),
                                      readonly=read_only)
            await tx._tx.start()
        except BaseException as exc:
            await pool.release(conn)
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise translate(exc, "begin") from None
        self._tx.add(tx)
        return tx

    def transaction_ended(self, tx: "PostgresTransaction") -> None:
        self._tx.discard(tx)

    def stats(self) -> dict:
        pool = self.pool
        size = pool.get_size() if pool else 0
        idle = pool.get_idle_size() if pool else 0
        return {"max_open_connections": self.max_open, "open_connections": size,
                "in_use": size - idle, "idle": idle, "wait_count": 0, "wait_duration": "0s",
                "max_idle_closed": 0, "max_idle_time_closed": 0,
                "max_lifetime_closed": self.lifetime_closed}

    def __repr__(self) -> str:
        return f"<PostgresDatabase {self.entry_id} {self.where}>"


class PostgresTransaction(_Runner):
    """A transaction on one pool connection, released when it ends."""

    def __init__(self, db: PostgresDatabase, conn: Any):
        self.db = db
        self.conn = conn
        self.max_rows = db.max_rows
        self.active = True
        self._tx: Any = None

    @property
    def type(self) -> str:
        return self.db.type

    def db_type(self) -> str:
        return self.db.type

    def _check(self) -> None:
        if not self.active:
            raise tx_not_active()

    async def query(self, sql: str, params: Any = None, *,
                    deadline: float | None = None) -> list[dict]:
        self._check()
        return await self._query(self.conn, sql, params, deadline)

    async def execute(self, sql: str, params: Any = None, *,
                      deadline: float | None = None) -> dict:
        self._check()
        return await self._execute(self.conn, sql, params, deadline)

    async def prepare(self, sql: str) -> Statement:
        self._check()
        check_sql(sql)
        try:
            await self.conn.prepare(sql)
        except Exception as exc:
            raise translate(exc, "prepare") from None
        return Statement(self, sql)

    async def _raw(self, sql: str) -> bool:
        self._check()   # not through _run: check_sql refuses SAVEPOINT as user SQL
        try:
            await self.conn.execute(sql)
        except Exception as exc:
            raise translate(exc, "savepoint") from None
        return True

    async def savepoint(self, name: str) -> bool:
        return await self._raw(f"SAVEPOINT {check_savepoint(name)}")

    async def rollback_to(self, name: str) -> bool:
        return await self._raw(f"ROLLBACK TO SAVEPOINT {check_savepoint(name)}")

    async def release(self, name: str) -> bool:
        return await self._raw(f"RELEASE SAVEPOINT {check_savepoint(name)}")

    async def commit(self) -> bool:
        return await self._end("commit")

    async def rollback(self) -> bool:
        return await self._end("rollback")

    async def _end(self, action: str) -> bool:
        self._check()
        try:
            await getattr(self._tx, action)()
        except Exception as exc:
            raise translate(exc, action) from None
        finally:
            await self._finish()
        return True

    async def _finish(self) -> None:
        if not self.active:
            return
        self.active = False
        self.db.transaction_ended(self)
        pool = self.db.pool
        if pool is not None:
            try:
                await pool.release(self.conn)
            except Exception:   # the connection died with the server: the pool replaces it
                self.conn.terminate()

    def private_thread(self) -> None:
        return None

    async def __aenter__(self) -> "PostgresTransaction":
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self.active:
            await (self.commit() if exc_type is None else self.rollback())
