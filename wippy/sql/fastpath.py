"""Autocommit writes straight on the event loop while the writer is idle.

With few concurrent writers (the tutorial's consumers run two at a time),
group commit has nothing to amortise and every INSERT pays two thread
hand-offs (loop -> writer -> loop), 100-300 us each on a busy 2-core box,
against ~20-50 us for the INSERT itself under WAL + synchronous=NORMAL.
So when the writer has nothing queued, running or open, `Database.execute`
first tries the write here, on a second read-write connection used only
from the loop. It never blocks the loop:

* busy_timeout is 0: if anything holds the write lock (the writer thread,
  another process, a test's BEGIN IMMEDIATE) SQLite fails at once with
  SQLITE_BUSY and the write goes to the writer thread, which waits with the
  normal busy_timeout. A statement that failed that way changed nothing.
* wal_autocheckpoint is 0: this connection never checkpoints. Every
  CHECKPOINT_EVERY fast commits, and IDLE_CHECKPOINT seconds after the
  last one, the writer thread is asked for a checkpoint (writer.py's
  `_checkpoint`, with this path held off throughout; it also makes the first
  commit into a restarted WAL, whose header SQLite fsyncs even under NORMAL).
* At most PER_TICK writes run here per loop iteration: when many writers
  are ready at once, the rest queue for the writer, whose group commit
  beats one commit each (and keeps the work off the loop).
* Only under synchronous NORMAL or OFF (`loop_safe`): with WAL a NORMAL commit
  appends to the -wal file without an fsync, while FULL and EXTRA fsync on
  every commit, which the progress handler cannot bound. Under those, every
  write goes to the writer thread, where a group shares one fsync.
* A statement gets FAST_BUDGET of run time here (progress handler); one that
  runs longer is interrupted, rolled back, handed to the writer, and its SQL
  text goes to the writer from then on. Each write is its own explicit
  transaction whose COMMIT runs with no budget: SQLite also calls the progress
  handler as a statement ends (it counts VM steps across runs of one cached
  statement, so a one-row INSERT meets that call every few hundred runs), which
  for an autocommit statement is after it committed. Interrupted there, an
  autocommit INSERT would be stored and then stored again by the writer (or
  reported as Timeout while stored); inside the transaction it is rolled back.
  tests/sql/test_fastpath_integrity.py holds both cases.

Errors are translated exactly as on the writer (same `run_statement`, same
authorizer and deadline guard), so kinds and messages do not change.
"""
from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any, Callable

from .connection import Guard, run_internal
from .errors import translate
from .threads import EXEC, Op, log, run_statement

FAST_BUDGET = 0.002        # seconds a statement may run on the loop
CHECKPOINT_EVERY = 256     # fast commits between checkpoints (~1000 WAL pages of small rows)
IDLE_CHECKPOINT = 1.0      # seconds after the last fast commit
PER_TICK = 16              # fast writes per loop iteration; more go to group commit
_SLOW_MAX = 256            # remembered statements that overran FAST_BUDGET
_BUSY, _LOCKED, _INTERRUPT = 5, 6, 9
MISS = object()            # "not done here: send it to the writer"
_NO_FSYNC_PER_COMMIT = ("NORMAL", "OFF")


def loop_safe(synchronous: str) -> bool:
    """True when a commit under this `synchronous` setting does not fsync (WAL mode)."""
    return str(synchronous).upper() in _NO_FSYNC_PER_COMMIT


class LoopWriter:
    """The loop's own write connection. All methods run on the event loop."""

    def __init__(self, opener: Callable[[], tuple], max_lifetime: float,
                 request_checkpoint: Callable[[], None]):
        self.opener = opener
        self.max_lifetime = max_lifetime
        self.request_checkpoint = request_checkpoint
        self.conn: sqlite3.Connection | None = None
        self.guard: Guard | None = None
        self.opened_at = 0.0
        self.writes = 0            # committed here
        self.fallbacks = 0         # tried here, handed to the writer (busy or too slow)
        self.since_checkpoint = 0
        self.slow: set[str] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._reopening: asyncio.Task | None = None
        self._tick = 0             # fast writes tried in this loop iteration

    # ------------------------------------------------------------ lifecycle
    def _open_blocking(self) -> tuple:
        conn, guard = self.opener()
        try:
            run_internal(conn, guard, "PRAGMA busy_timeout = 0")
            run_internal(conn, guard, "PRAGMA wal_autocheckpoint = 0")
        except BaseException:
            conn.close()
            raise
        return conn, guard

    async def open(self) -> None:
        self.conn, self.guard = await asyncio.to_thread(self._open_blocking)
        self.opened_at = time.monotonic()

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._reopening is not None:
            self._reopening.cancel()
            self._reopening = None
        conn, self.conn = self.conn, None
        if conn is not None:
            await asyncio.to_thread(_close_quietly, conn)

    def _reopen(self) -> None:
        """Past max_lifetime: swap in a fresh connection, opened off the loop."""
        if self._reopening is not None:
            return
        old, self.conn = self.conn, None   # writes use the writer meanwhile

        async def reopen() -> None:
            try:
                await asyncio.to_thread(_close_quietly, old)
                self.conn, self.guard = await asyncio.to_thread(self._open_blocking)
                self.opened_at = time.monotonic()
            except Exception:
                log.warning("reopening the loop write connection failed; writes use the "
                            "writer thread", exc_info=True)
            finally:
                self._reopening = None
        self._reopening = asyncio.get_running_loop().create_task(reopen())

    # ------------------------------------------------------------ the fast path
    def execute(self, sql: str, params: list, deadline: float | None) -> Any:
        """The result dict, MISS (use the writer), or raise the statement's WippyError."""
        conn = self.conn
        if conn is None or sql in self.slow or self._tick >= PER_TICK:
            return MISS
        if not self._tick:
            asyncio.get_running_loop().call_soon(self._new_tick)
        self._tick += 1
        now = time.monotonic()
        if now - self.opened_at >= self.max_lifetime:
            self._reopen()
            return MISS
        budget = now + FAST_BUDGET
        limit = budget if deadline is None or deadline > budget else deadline
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error:
            self.fallbacks += 1   # the lock is held elsewhere: nothing ran
            return MISS
        try:
            result = run_statement(conn, self.guard, Op(EXEC, None, sql, params, limit), 0)
        except sqlite3.Error as exc:
            # Interrupted mid-way, SQLite rolled the transaction back; interrupted as
            # the statement ended, its change is still pending here. Either way the
            # ROLLBACK leaves nothing stored, so the writer may run it again.
            _rollback_quietly(conn)
            primary = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
            if primary in (_BUSY, _LOCKED):
                self.fallbacks += 1
                return MISS
            if primary == _INTERRUPT and (deadline is None or time.monotonic() < deadline):
                self._too_slow(sql)   # our budget, not the caller's deadline
                return MISS
            raise translate(exc, EXEC) from None
        except Exception as exc:
            _rollback_quietly(conn)
            raise translate(exc, EXEC) from None
        try:
            conn.execute("COMMIT")   # no budget (run_statement cleared the deadline)
        except sqlite3.Error:
            _rollback_quietly(conn)   # a failed COMMIT stored nothing: the writer retries
            self.fallbacks += 1
            return MISS
        self.writes += 1
        self._committed()
        return result

    def _new_tick(self) -> None:
        self._tick = 0

    def _too_slow(self, sql: str) -> None:
        self.fallbacks += 1
        if len(self.slow) >= _SLOW_MAX:
            self.slow.clear()
        self.slow.add(sql)

    def _committed(self) -> None:
        self.since_checkpoint += 1
        if self.since_checkpoint >= CHECKPOINT_EVERY:
            self.checkpoint_now()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(IDLE_CHECKPOINT,
                                                                self._idle_checkpoint)

    def _idle_checkpoint(self) -> None:
        self._timer = None
        if self.since_checkpoint:
            self.checkpoint_now()

    def checkpoint_now(self) -> None:
        self.since_checkpoint = 0
        self.request_checkpoint()


def _rollback_quietly(conn: sqlite3.Connection) -> None:
    if not conn.in_transaction:
        return
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error:
        log.exception("ROLLBACK on the loop write connection failed")


def _close_quietly(conn: sqlite3.Connection) -> None:
    try:
        conn.close()
    except sqlite3.Error:
        log.exception("closing the loop write connection failed")
