"""`queue.driver.sqlite`'s loop fast path: queue statements run on the event loop's
own connection while the writer thread is idle (sqlite.py decides when).

Through the writer thread every publish, claim and ack costs the loop a future and
a cross-thread wake-up and its callback; measured with the task-queue benchmark,
those hand-offs, not SQLite, were most of the durable driver's cost. A commit under
WAL with `synchronous = NORMAL` appends to the -wal file without an fsync, so this
connection commits right on the loop, once per loop turn for that turn's publishes,
acks and claims together (`run`, called by sqlite_claims.Claims), as
`wippy/sql/fastpath.py` does for autocommit writes:

* busy_timeout is 0: when anything else holds the write lock (the writer thread,
  another process on the same file) SQLite fails at once with SQLITE_BUSY. Any
  failure here rolls back and the caller hands the work to the writer thread,
  which waits with the configured busy_timeout and reports errors as before.
  A durable publish therefore still returns only after its COMMIT, on either path.
* wal_autocheckpoint is 0: this connection never checkpoints (a checkpoint
  writes the database file and fsyncs it). Every CHECKPOINT_EVERY commits here,
  and on the driver's tick, the writer thread is asked for a PASSIVE checkpoint.
* A statement gets FAST_BUDGET of run time (progress handler); one that runs
  longer is interrupted, rolled back, and handed to the writer. Every write is
  an explicit transaction whose COMMIT runs with no budget: SQLite also calls
  the progress handler as a statement ends, after an autocommit statement has
  committed, so an interrupted autocommit INSERT may be stored all the same
  (and a retry on the writer would store it twice).
* Only under `synchronous = NORMAL`: under FULL every commit fsyncs, and that
  belongs on the writer thread, where a group of operations shares one fsync.
"""
from __future__ import annotations

import sqlite3
import time
from typing import Callable

from .sqlite_store import ACK, ACK_CHUNK, CLAIM, INSERT, conn_close, log, queue_order

FAST_BUDGET = 0.002      # seconds a statement may run on the loop
CHECKPOINT_EVERY = 256   # commits here between checkpoint requests
PROGRESS_STEPS = 1000    # SQLite VM steps between budget checks
NO_LIMIT = float("inf")


class LoopStore:
    """The loop's connection to the queue file. Every method runs on the event loop and
    returns None (nothing changed; use the writer thread) instead of waiting."""

    def __init__(self, path: str, owner: str, lease_ms: int,
                 request_checkpoint: Callable[[], None]):
        self.owner = owner
        self.lease_ms = lease_ms
        self.request_checkpoint = request_checkpoint
        self.commits = 0            # committed here
        self.fallbacks = 0          # tried here and handed to the writer
        self.since_checkpoint = 0
        self._limit = 0.0           # monotonic time the running statement must end by
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout = 0")
            conn.execute("PRAGMA wal_autocheckpoint = 0")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.set_progress_handler(self._over_budget, PROGRESS_STEPS)
        except BaseException:
            conn.close()
            raise
        self.conn: sqlite3.Connection | None = conn

    def _over_budget(self) -> int:
        return time.monotonic() > self._limit

    def close(self) -> None:
        conn, self.conn = self.conn, None
        conn_close(conn)

    def insert(self, args: tuple, now: int) -> bool | None:
        """One publish, committed when this returns True.
        args: queue, msg_id, body, headers, attempts, last_error, delay_ms."""
        conn = self.conn
        if conn is None:
            return None
        self._limit = time.monotonic() + FAST_BUDGET
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(INSERT, args[:6] + (now, now + args[6]))
            self._limit = NO_LIMIT
            conn.execute("COMMIT")
        except sqlite3.Error:
            return self._failed(conn)
        return self._committed()

    def run(self, inserts: list[tuple], acks: list[int], claims: list[tuple[str, int]],
            now: int) -> list[list] | None:
        """One transaction: the publishes (args: queue, msg_id, body, headers, attempts,
        last_error, delay_ms), the acked rows' deletes, and a claim of rows for each
        (queue, limit). The claimed rows of each, in queue order, once committed."""
        conn = self.conn
        if conn is None:
            return None
        owner = self.owner
        self._limit = time.monotonic() + FAST_BUDGET
        try:
            conn.execute("BEGIN IMMEDIATE")
            if inserts:
                conn.executemany(INSERT, [a[:6] + (now, now + a[6]) for a in inserts])
            for i in range(0, len(acks), ACK_CHUNK):
                chunk = acks[i:i + ACK_CHUNK]
                conn.execute(ACK.format(",".join("?" * len(chunk))), (owner, *chunk))
            out = []
            for name, limit in claims:
                rows = conn.execute(CLAIM, (now + self.lease_ms, owner, name, now,
                                            limit)).fetchall()
                rows.sort(key=queue_order)
                out.append(rows)
            self._limit = NO_LIMIT
            conn.execute("COMMIT")
        except sqlite3.Error:
            return self._failed(conn)
        if self._committed() is None:
            return None
        return out

    def _committed(self) -> bool | None:
        if self.conn is not None and self.conn.in_transaction:   # never expected
            return self._failed(self.conn)
        self.commits += 1
        self.since_checkpoint += 1
        if self.since_checkpoint >= CHECKPOINT_EVERY:
            self.checkpoint_now()
        return True

    def _failed(self, conn: sqlite3.Connection) -> None:
        self.fallbacks += 1
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                log.exception("ROLLBACK on the queue's loop connection failed; "
                              "the writer thread takes over")
                self.close()
        return None

    def checkpoint_now(self) -> None:
        self.since_checkpoint = 0
        self.request_checkpoint()
