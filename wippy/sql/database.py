"""Database: the object a `db.sql.sqlite` entry builds; also its Service.

    db = Database("app:db", "./data/tasks.db")
    await db.start()                       # optional: first use opens lazily
    await db.execute("INSERT INTO t(v) VALUES (?)", ["x"])
    rows = await db.query("SELECT * FROM t WHERE v = ?", ["x"])
    async with await db.begin() as tx:
        await tx.execute(...)
    await db.stop()

Routing: plain reads (SELECT / WITH ... SELECT / EXPLAIN) run on a small pool
of read-only connections, concurrently with the writer (WAL). Everything
else goes to the single writer thread (writer.py), which group-commits
concurrent autocommit writes. `:memory:` has one connection only (another
connection would see a different, empty database), so everything runs on
the writer there.

Lifecycle: `start()` opens the file (creating missing parent directories,
docs/decisions.md D7) and refuses to start, with a one-line reason, when the
directory is not writable or the file is not a database. Before `start()`
the first operation opens it the same way (Go Wippy's `sql.get` works before
the service started). `stop()` lets queued work finish, closes the readers,
checkpoints the WAL into the main file and closes the writer; afterwards
operations fail with "database is closed" until `start()` runs again.
All public methods are coroutines to be called on one event loop.
"""
from __future__ import annotations

import asyncio
import logging
import os
import queue
import time
from typing import Any

from ..errors import INTERNAL, INVALID, PERMISSION_DENIED, WippyError
from .connection import MEMORY, Settings, open_connection
from .errors import closed_error, translate
from .fastpath import MISS, LoopWriter, loop_safe
from .statements import READ, SOLO, WRITE, check_sql, classify, explain
from .transaction import Statement, Transaction
from .values import params_list
from .threads import (BEGIN, CHECK, CHECKPOINT, EXEC, FORCE, QUERY, RAW, ROLLBACK, STOP, Op,
                     ReaderThread)
from .writer import WriterThread

ISOLATION_LEVELS = ("default", "read_uncommitted", "read_committed", "write_committed",
                    "repeatable_read", "serializable")
_READONLY_CODE = 8

NEW, OPEN, CLOSING, CLOSED = "new", "open", "closing", "closed"


class Database:
    type = "sqlite"

    def __init__(self, entry_id: str, file: str, settings: Settings | None = None,
                 logger: logging.Logger | None = None, stop_timeout: float = 10.0):
        self.entry_id = entry_id
        self.file = file
        self.memory = file == MEMORY
        self.path = file if self.memory else os.path.abspath(file)
        self.settings = settings or Settings()
        self.log = logger or logging.getLogger(f"wippy.{entry_id}")
        self.stop_timeout = stop_timeout
        self.state = NEW
        self.loop: asyncio.AbstractEventLoop | None = None
        self._open_lock: asyncio.Lock | None = None
        self._writer: WriterThread | None = None
        self._readers: list[ReaderThread] = []
        self._read_jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._private: set[ReaderThread] = set()
        self._write_tx: Transaction | None = None
        self._fast: LoopWriter | None = None   # autocommit writes on the loop (fastpath.py)

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self.state == OPEN:
            return
        if self.state == CLOSING:
            raise closed_error()
        await self._open()

    async def _ensure_open(self) -> None:
        if self.state != NEW:   # closing/closed: only start() reopens
            raise closed_error()
        await self._open()

    async def _open(self) -> None:
        if self._open_lock is None:
            self._open_lock = asyncio.Lock()
        async with self._open_lock:
            if self.state == OPEN:
                return
            self.loop = asyncio.get_running_loop()
            if not self.memory:
                self._prepare_directory()
            self._writer = self._thread(WriterThread, "writer", reader=False,
                                        checkpoint=not self.memory, recycle=not self.memory)
            try:
                await self._writer.ready
                if not self.memory:
                    self._readers = [self._thread(ReaderThread, f"reader-{i}", reader=True,
                                                  jobs=self._read_jobs, drain=False)
                                     for i in range(self.settings.readers)]
                    results = await asyncio.gather(*(r.ready for r in self._readers),
                                                   return_exceptions=True)
                    failed = [r for r in results if isinstance(r, BaseException)]
                    if failed:
                        raise failed[0]
                    if loop_safe(self.settings.synchronous):
                        self._fast = self._loop_writer()
                        await self._fast.open()
            except BaseException as exc:
                await self._shutdown_threads(1.0)
                self._readers, self._writer = [], None
                if isinstance(exc, asyncio.CancelledError):
                    raise   # the caller went away (shutdown): not a database problem
                raise self._startup_error(exc) from None
            self.state = OPEN
            self.log.debug("opened %s (%d readers)", self.path, len(self._readers))

    def _loop_writer(self) -> LoopWriter:
        path, settings, writer = self.path, self.settings, self._writer

        def opener() -> tuple:
            return open_connection(path, settings)

        def request_checkpoint() -> None:
            if not writer.finished.done():
                writer.put(Op(CHECKPOINT, None))
        return LoopWriter(opener, settings.max_lifetime, request_checkpoint)

    def _thread(self, cls: type, label: str, *, reader: bool, **kwargs: Any) -> Any:
        path, settings = self.path, self.settings

        def opener() -> tuple:
            return open_connection(path, settings, reader=reader)
        thread = cls(f"wippy-sql-{self.entry_id}-{label}", opener, self.loop, settings, **kwargs)
        thread.start()
        return thread

    def _prepare_directory(self) -> None:
        directory = os.path.dirname(self.path)
        if not os.path.isdir(directory):
            try:
                os.makedirs(directory, exist_ok=True)
            except OSError as exc:
                raise WippyError(f"{self.entry_id}: cannot create directory {directory} for "
                                 f"{self.file}: {exc.strerror}", PERMISSION_DENIED,
                                 retryable=False) from None
            self.log.info("created directory %s for the database file", directory)
        if os.path.isdir(self.path):
            raise WippyError(f"{self.entry_id}: {self.file} is a directory, not a database "
                             f"file; fix `file`", INVALID, retryable=False)
        if not os.access(directory, os.W_OK | os.X_OK):
            raise WippyError(f"{self.entry_id}: directory {directory} is not writable; SQLite "
                             f"needs to create {os.path.basename(self.path)} and its -wal/-shm "
                             f"files there", PERMISSION_DENIED, retryable=False)
        if os.path.exists(self.path) and not os.access(self.path, os.R_OK | os.W_OK):
            raise WippyError(f"{self.entry_id}: {self.file} is not readable and writable "
                             f"by this process", PERMISSION_DENIED, retryable=False)

    def _startup_error(self, exc: BaseException) -> WippyError:
        if isinstance(exc, WippyError):
            return exc
        err = translate(exc, "open")
        if "not a database" in err.message or err.kind == INTERNAL:
            return WippyError(f"{self.entry_id}: {self.file} is not a usable SQLite database "
                              f"({err.message}); move it away or point `file` elsewhere",
                              INTERNAL, retryable=False)
        return WippyError(f"{self.entry_id}: cannot open {self.file}: {err.message}",
                          err.kind, retryable=err.retryable)

    async def stop(self, timeout: float | None = None) -> None:
        """Finish queued work, close readers, checkpoint and close the writer.

        After `timeout` (default: the entry's stop_timeout minus a margin) an open
        transaction is rolled back and what is still queued fails."""
        if self.state in (NEW, CLOSED):
            self.state = CLOSED
            return
        if self.state == CLOSING:
            return
        self.state = CLOSING
        try:
            await self._shutdown_threads(self.stop_timeout if timeout is None else timeout)
        finally:
            self.state = CLOSED
            self._readers, self._writer = [], None
            self._write_tx = None
            self._fast = None
            self._open_lock = None   # a later start() may run on another loop

    async def _shutdown_threads(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        fast, self._fast = self._fast, None
        if fast is not None:
            await fast.close()
        for _ in self._readers:
            self._read_jobs.put(Op(STOP, None))
        for thread in list(self._private):
            thread.put(Op(STOP, None))
        readers = [r.finished for r in self._readers + list(self._private)]
        if readers:
            await asyncio.wait(readers, timeout=max(0.1, deadline - time.monotonic()))
        self._private.clear()
        writer = self._writer
        if writer is None:
            return
        done = self.loop.create_future()
        writer.put(Op(STOP, done))
        await asyncio.wait([writer.finished], timeout=max(0.1, deadline - time.monotonic()))
        if not writer.finished.done():
            self.log.warning("writer still busy after %.1fs (open transaction?); "
                             "rolling back and closing", timeout)
            writer.put(Op(FORCE, self.loop.create_future()))
            await asyncio.wait([writer.finished], timeout=2.0)

    # ------------------------------------------------------------ operations
    async def _submit(self, thread: Any, kind: str, sql: str, params: list,
                      deadline: float | None, solo: bool = False) -> Any:
        finished = getattr(thread, "finished", None)   # the writer (the read pool is a queue)
        if finished is not None and finished.done():
            raise closed_error()   # never queue work for a thread that is gone
        fut = self.loop.create_future()
        thread.put(Op(kind, fut, sql, params, deadline, None, solo))
        return await fut

    async def query(self, sql: str, params: Any = None, *,
                    deadline: float | None = None) -> list[dict]:
        """Run a statement and return its rows (dicts; NULL columns left out)."""
        if self.state != OPEN:
            await self._ensure_open()
        check_sql(sql)
        values = params_list(params)
        route = classify(sql)
        if route == READ and self._readers:
            try:
                return await self._submit(self._read_jobs, QUERY, sql, values, deadline)
            except WippyError as exc:
                if exc.details.get("sqlite_code") != _READONLY_CODE:
                    raise
                # Routed as a read but it writes (e.g. a function with side effects).
        return await self._submit(self._writer, QUERY, sql, values, deadline, route == SOLO)

    async def execute(self, sql: str, params: Any = None, *,
                      deadline: float | None = None) -> dict:
        """Run a statement; {"last_insert_id": int, "rows_affected": int}."""
        if self.state != OPEN:
            await self._ensure_open()
        check_sql(sql)
        values = params_list(params)
        route = classify(sql)
        if route == WRITE:
            result = self._try_fast(sql, values, deadline)
            if result is not MISS:
                return result
        return await self._submit(self._writer, EXEC, sql, values, deadline, route == SOLO)

    def execute_now(self, sql: str, params: Any = None, deadline: float | None = None) -> Any:
        """`execute` without waiting, on the event loop: the result, or MISS when the
        write has to wait (not open yet, writer busy, not a plain write). Raises the
        statement's WippyError. Lets a Lua handler write without yielding."""
        if self.state != OPEN:
            return MISS
        check_sql(sql)
        if classify(sql) != WRITE:
            return MISS
        return self._try_fast(sql, params_list(params), deadline)

    def _try_fast(self, sql: str, values: list, deadline: float | None) -> Any:
        fast = self._fast
        if fast is None or self._write_tx is not None:
            return MISS
        writer = self._writer
        if not writer.idle() or writer.guard.settings_changed:
            return MISS
        return fast.execute(sql, values, deadline)

    async def prepare(self, sql: str) -> Statement:
        """Compile-check `sql` now (errors surface here) and return a Statement."""
        if self.state != OPEN:
            await self._ensure_open()
        check_sql(sql)
        target = self._read_jobs if self._readers else self._writer
        await self._submit(target, CHECK, explain(sql), [], None)
        return Statement(self, sql)

    async def begin(self, isolation: str | None = None, read_only: bool = False) -> Transaction:
        """Start a transaction. SQLite is always serializable; `isolation` is validated
        and otherwise ignored. Read-write transactions hold the writer (BEGIN IMMEDIATE)."""
        if isolation is not None and isolation not in ISOLATION_LEVELS:
            raise WippyError(f"invalid isolation level: {isolation}", INVALID, retryable=False)
        if self.state != OPEN:
            await self._ensure_open()
        if read_only and not self.memory:
            return await self._begin_private()
        tx = Transaction(self, self._writer, read_only, private=False)
        fut = self.loop.create_future()
        sql = "BEGIN" if read_only else "BEGIN IMMEDIATE"
        self._writer.put(Op(BEGIN, fut, sql, (), None, tx, solo=read_only))
        try:
            await fut
        except asyncio.CancelledError:
            # The writer skips a cancelled BEGIN, but it may have run it just before the
            # cancel: queue a rollback so the writer is never held for nobody.
            self._writer.put(Op(ROLLBACK, None, tx=tx))
            raise
        self._write_tx = tx
        return tx

    async def _begin_private(self) -> Transaction:
        thread = self._thread(ReaderThread, f"tx-{len(self._private)}", reader=True,
                              recycle=False)
        self._private.add(thread)
        try:
            await thread.ready
            tx = Transaction(self, thread, True, private=True)
            fut = self.loop.create_future()
            thread.put(Op(RAW, fut, "BEGIN", (), None, tx))
            await fut
        except BaseException:
            thread.put(Op(STOP, None))
            self._private.discard(thread)
            raise
        return tx

    def transaction_ended(self, tx: Transaction) -> None:
        """Called by `tx` once it committed, rolled back or was found dead."""
        if self._write_tx is tx:
            self._write_tx = None
        thread = tx.private_thread()
        if thread is not None:
            self._private.discard(thread)

    @property
    def write_tx(self) -> Transaction | None:
        """The read-write transaction currently holding the writer, if any."""
        return self._write_tx

    # ------------------------------------------------------------ introspection
    def stats(self) -> dict:
        """Go database/sql-style pool stats, plus the writer's queue and group figures."""
        threads = ([self._writer] if self._writer else []) + self._readers + list(self._private)
        live = [t for t in threads if t.is_alive()]
        in_use = sum(1 for t in live if t.busy)
        writer = self._writer
        return {
            "max_open_connections": 1 + (0 if self.memory else self.settings.readers),
            "open_connections": len(live),
            "in_use": in_use,
            "idle": len(live) - in_use,
            "wait_count": writer.waits if writer else 0,
            "wait_duration": "0s",
            "max_idle_closed": 0,
            "max_idle_time_closed": 0,
            "max_lifetime_closed": 0,
            "write_queue": writer.jobs.qsize() if writer else 0,
            "read_queue": self._read_jobs.qsize(),
            "commit_groups": writer.groups if writer else 0,
            "grouped_writes": writer.grouped if writer else 0,
            "loop_writes": self._fast.writes if self._fast else 0,
            "loop_fallbacks": self._fast.fallbacks if self._fast else 0,
            "checkpoints": writer.checkpoints if writer else 0,
            "checkpoint_restarts": writer.restarts if writer else 0,
        }

    def __repr__(self) -> str:
        return f"<Database {self.entry_id} {self.path} {self.state}>"
