"""Connection threads: each owns one sqlite3 connection and runs queued ops.

Why threads of our own instead of aiosqlite: aiosqlite does one thread hop
and one loop wake-up per statement (measured ~4.2k INSERT+COMMIT rows/s here
vs ~21k with plain sqlite3). The writer (writer.py) needs to drain many
pending statements per wake-up and commit them together, and resolve their
futures with one `call_soon_threadsafe` per batch; that is not expressible
through aiosqlite's one-request-one-response API.

Futures are created on the event loop and only ever completed there
(`_resolve` runs on the loop); the threads never touch them except to skip
ops whose caller has already gone (`fut.cancelled()` is a plain read).
"""
from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from typing import Any, Callable

from ..errors import INVALID, WippyError
from .connection import Guard, Settings, run_internal
from .errors import closed_error, translate
from .values import row_dicts

log = logging.getLogger("wippy.sql")

# Op kinds.
QUERY, EXEC, CHECK, RAW, BEGIN, COMMIT, ROLLBACK, STOP, FORCE, CHECKPOINT = (
    "query", "execute", "prepare", "raw", "begin", "commit", "rollback", "stop", "force",
    "checkpoint")


class Op:
    """One queued request. `tx` is the owning transaction token (None = autocommit)."""
    __slots__ = ("kind", "fut", "sql", "params", "deadline", "tx", "solo")

    def __init__(self, kind: str, fut: asyncio.Future | None, sql: str = "",
                 params: list | tuple = (), deadline: float | None = None,
                 tx: Any = None, solo: bool = False):
        self.kind, self.fut, self.sql, self.params = kind, fut, sql, params
        self.deadline, self.tx, self.solo = deadline, tx, solo


def _resolve(items: list) -> None:
    """Complete futures on the loop: (future, result, error) triples."""
    for fut, result, error in items:
        if fut is None or fut.done():
            continue
        if error is not None:
            fut.set_exception(error)
        else:
            fut.set_result(result)


def run_statement(conn: sqlite3.Connection, guard: Guard, op: Op, max_rows: int) -> Any:
    """Execute op.sql once and shape its result for op.kind (raises on error)."""
    guard.deadline = op.deadline
    try:
        cur = conn.execute(op.sql, op.params)
        kind = op.kind
        if kind == QUERY:
            desc = cur.description
            if desc is None:
                return []
            rows = cur.fetchmany(max_rows + 1)
            if len(rows) > max_rows:
                cur.close()
                raise WippyError(f"query returned more than {max_rows} rows; add a LIMIT "
                                 f"(or raise options.max_rows)", INVALID, retryable=False)
            return row_dicts([d[0] for d in desc], rows)
        if cur.description is not None:
            cur.close()  # a SELECT run through execute(): do not keep its read open
        if kind == EXEC:
            return {"last_insert_id": cur.lastrowid or 0, "rows_affected": max(cur.rowcount, 0)}
        return True
    finally:
        guard.deadline = None


class ConnectionThread(threading.Thread):
    """Base: open on the thread, serve ops, close; report readiness to the loop."""

    role = "connection"

    def __init__(self, name: str, opener: Callable[[], tuple], loop: asyncio.AbstractEventLoop,
                 settings: Settings, jobs: queue.SimpleQueue | None = None,
                 drain: bool = True):
        super().__init__(name=name, daemon=True)
        self.drain = drain   # fail what is left in the queue on exit (not for a shared queue)
        self.opener = opener
        self.loop = loop
        self.settings = settings
        self.jobs = jobs if jobs is not None else queue.SimpleQueue()
        self.ready: asyncio.Future = loop.create_future()
        self.finished: asyncio.Future = loop.create_future()
        self.conn: sqlite3.Connection | None = None
        self.guard: Guard | None = None
        self.opened_at = 0.0
        self.busy = False
        self.served = 0

    # ------------------------------------------------------------ plumbing
    def deliver(self, items: list) -> None:
        if not items:
            return
        try:
            self.loop.call_soon_threadsafe(_resolve, items)
        except RuntimeError:  # loop closed: nobody is waiting any more
            pass

    def _signal(self, fut: asyncio.Future, error: BaseException | None) -> None:
        self.deliver([(fut, None if error else True, error)])

    def put(self, op: Op) -> None:
        self.jobs.put(op)

    # ------------------------------------------------------------ thread body
    def run(self) -> None:
        try:
            self.conn, self.guard = self.opener()
            self.opened_at = time.monotonic()
        except BaseException as exc:  # reported to whoever awaits `ready`
            self._signal(self.ready, exc)
            self._signal(self.finished, None)
            return
        self._signal(self.ready, None)
        try:
            self.serve()
        except BaseException:  # never die silently: fail what is left
            log.exception("SQLite %s thread %s crashed", self.role, self.name)
        finally:
            self._close()
            if self.drain:
                self.drain_on_exit()
            self._signal(self.finished, None)

    def drain_on_exit(self) -> None:
        """Fail whatever is still queued once the thread is done."""
        items = []
        while True:
            try:
                op = self.jobs.get_nowait()
            except queue.Empty:
                break
            if op.fut is not None:
                items.append((op.fut, True, None) if op.kind == STOP
                             else (op.fut, None, closed_error()))
        self.deliver(items)

    def serve(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except sqlite3.Error:
                log.exception("closing SQLite connection failed")
            self.conn = None

    def recycle_if_old(self) -> None:
        """Reopen the connection after pool.max_lifetime (never for :memory:)."""
        if time.monotonic() - self.opened_at < self.settings.max_lifetime:
            return
        try:
            conn, guard = self.opener()
        except Exception:
            log.warning("reopening SQLite connection failed; keeping the old one", exc_info=True)
            self.opened_at = time.monotonic()
            return
        self._close()
        self.conn, self.guard, self.opened_at = conn, guard, time.monotonic()

    def run_one(self, op: Op) -> tuple:
        """(future, result, error) for one op run on this thread's connection."""
        try:
            return op.fut, run_statement(self.conn, self.guard, op, self.settings.max_rows), None
        except sqlite3.ProgrammingError as exc:
            if op.kind == CHECK and "bindings" in str(exc):
                return op.fut, True, None   # it compiled; only the parameters are missing
            return op.fut, None, translate(exc, op.kind)
        except BaseException as exc:
            return op.fut, None, translate(exc, op.kind)

    def internal(self, sql: str) -> list:
        return run_internal(self.conn, self.guard, sql)


class ReaderThread(ConnectionThread):
    """A read-only connection. Pool readers share one queue; a read-only
    transaction gets a private reader thread that ends with the transaction."""

    role = "reader"

    def __init__(self, *args: Any, recycle: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.recycle = recycle

    def serve(self) -> None:
        jobs = self.jobs
        while True:
            op = jobs.get()
            if op.kind == STOP:
                if op.fut is not None:
                    self._signal(op.fut, None)
                return
            if op.fut is not None and op.fut.cancelled():
                continue
            if self.recycle and not self.conn.in_transaction:
                self.recycle_if_old()
            self.busy = True
            item = self.run_one(op)
            self.busy = False
            self.served += 1
            self.deliver([item])
