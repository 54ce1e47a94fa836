"""The SQL side of `queue.driver.sqlite`: one table, one writer thread per file.

One table with a visibility timeout (the pgmq / SQS model). A row is ready
when `visible_at <= now`; a claim sets `visible_at` to the end of its lease
and `lease_owner` to this process, so an expired lease makes the row
claimable again without any sweeper, and the new claim overwrites the owner,
which fences the late settlement of whoever held it before.

An operation that cannot run on the event loop's own connection
(sqlite_loop.py: the loop is not free, another process holds the lock, a
publish from another thread, a retry) goes to one writer thread that runs
everything queued in one `BEGIN IMMEDIATE ... COMMIT` (group commit:
publishes, claims, acks, retries together), then resolves the callers'
futures with one loop wake-up. The writer thread also runs the checkpoints.
Each statement is a single atomic step under SQLite's write lock, so several
processes can share one file.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any

from ..errors import INTERNAL, PERMISSION_DENIED, WippyError
from ..sql.errors import translate

log = logging.getLogger("wippy.queue.sqlite")

SCHEMA = """
CREATE TABLE IF NOT EXISTS wippy_queue_message (
  id          INTEGER PRIMARY KEY,
  queue       TEXT    NOT NULL,
  msg_id      TEXT    NOT NULL,
  body        BLOB    NOT NULL,
  headers     TEXT,
  attempts    INTEGER NOT NULL DEFAULT 0,
  deliveries  INTEGER NOT NULL DEFAULT 0,
  last_error  TEXT,
  enqueued_at INTEGER NOT NULL,
  visible_at  INTEGER NOT NULL,
  lease_owner TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS wippy_queue_message_ready
  ON wippy_queue_message (queue, visible_at, id);
"""

INSERT = ("INSERT INTO wippy_queue_message (queue, msg_id, body, headers, attempts, last_error,"
          " enqueued_at, visible_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
# RETURNING order is unspecified: the caller sorts by (visible_at, id).
CLAIM = ("UPDATE wippy_queue_message SET visible_at = ?, lease_owner = ?,"
         " deliveries = deliveries + 1"
         " WHERE id IN (SELECT id FROM wippy_queue_message WHERE queue = ? AND visible_at <= ?"
         " ORDER BY visible_at, id LIMIT ?)"
         " RETURNING id, msg_id, body, headers, attempts, last_error, visible_at")
ACK = "DELETE FROM wippy_queue_message WHERE lease_owner = ? AND id IN ({})"
RETRY = ("UPDATE wippy_queue_message SET visible_at = ?, attempts = ?, last_error = ?,"
         " lease_owner = NULL WHERE id = ? AND lease_owner = ?")
# Back to its original place (FIFO among ready rows), no attempt counted.
RELEASE = ("UPDATE wippy_queue_message SET visible_at = enqueued_at, lease_owner = NULL,"
           " deliveries = deliveries - 1 WHERE id = ? AND lease_owner = ?")
EXTEND = "UPDATE wippy_queue_message SET visible_at = ? WHERE lease_owner = ?"
COUNTS = ("SELECT queue, sum(visible_at <= :now),"
          " sum(lease_owner IS NULL AND visible_at > :now),"
          " sum(lease_owner IS NOT NULL AND visible_at > :now)"
          " FROM wippy_queue_message GROUP BY queue")
MAX_BATCH = 512      # operations per transaction; bounds the first one's wait
ACK_CHUNK = 500      # ids per DELETE (SQLite's default limit is 32766 variables)

PUBLISH, CLAIM_OP, ACK_OP, RETRY_OP, RELEASE_OP, EXTEND_OP, STOP, CHECKPOINT_OP = range(8)
# Requests to the thread itself, not operations in a transaction.
CONTROL = (STOP, CHECKPOINT_OP)


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(slots=True)
class Op:
    kind: int
    args: tuple
    fut: Any = None              # asyncio future resolved on the loop after COMMIT, or None


@dataclass
class StoreSettings:
    synchronous: str = "NORMAL"
    busy_timeout_ms: int = 5000


def open_file(path: str, settings: StoreSettings, entry_id: str,
              shown: str | None = None) -> sqlite3.Connection:
    """Open (creating the parent directory) and check that the file is a database this
    process can write; one-line, non-retryable errors naming `shown` (the configured
    path) otherwise. A required driver that cannot open its file stops the boot."""
    directory = os.path.dirname(path) or "."
    name = shown or path
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise WippyError(f"{entry_id}: cannot create directory {directory} for the queue "
                         f"file {name}: {exc.strerror}", PERMISSION_DENIED,
                         retryable=False) from None
    if os.path.isdir(path):
        raise WippyError(f"{entry_id}: queue file {name} is a directory; fix `file`",
                         INTERNAL, retryable=False)
    if not os.access(directory, os.W_OK | os.X_OK) or (
            os.path.exists(path) and not os.access(path, os.R_OK | os.W_OK)):
        raise WippyError(f"{entry_id}: queue file {name} is not writable by this process "
                         f"(SQLite also needs to create -wal/-shm files in {directory})",
                         PERMISSION_DENIED, retryable=False)
    conn = None
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                               timeout=settings.busy_timeout_ms / 1000)
        conn.execute(f"PRAGMA busy_timeout = {int(settings.busy_timeout_ms)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise sqlite3.OperationalError(f"cannot switch to WAL mode (got {mode})")
        conn.execute(f"PRAGMA synchronous = {settings.synchronous}")
        conn.executescript(SCHEMA)
        conn.execute("SELECT count(*) FROM wippy_queue_message").fetchone()
        # Take the write lock once: a file another process keeps locked, or that cannot
        # be written, is found now rather than by the first publish.
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        conn_close(conn)
        err = translate(exc, "open")
        text = err.message
        if "not a database" in text or "malformed" in text:
            why = "is not a usable SQLite database"
            hint = "move it away or point `file` elsewhere"
        elif "locked" in text or "busy" in text:
            why = "is locked by another process"
            hint = (f"it held the write lock longer than busy_timeout "
                    f"({settings.busy_timeout_ms} ms); stop that process or raise busy_timeout")
        elif "readonly" in text or "read-only" in text or "unable to open" in text:
            why = "cannot be written"
            hint = "check the permissions of the file and its directory, or point `file` elsewhere"
        else:
            why, hint = "cannot be opened", "point `file` elsewhere"
        raise WippyError(f"{entry_id}: queue file {name} {why} ({text}); {hint}",
                         err.kind, retryable=False) from None
    return conn


def conn_close(conn: sqlite3.Connection | None) -> None:
    if conn is not None:
        try:
            conn.close()
        except sqlite3.Error:
            pass


class Writer(threading.Thread):
    """The one thread that writes to a queue file (see the module docstring).

    `after_commit(results)` runs in this thread right after each COMMIT, both
    under `commit_lock`, so a reader holding that lock never sees a message
    both committed and still counted as uncommitted (or neither);
    `on_batch(results)` then runs on the loop with one wake-up per batch.
    `results` is a list of (op, value, error)."""

    def __init__(self, conn: sqlite3.Connection, owner: str, lease_ms: int,
                 loop: asyncio.AbstractEventLoop, jobs: queue.SimpleQueue,
                 after_commit: Any, on_batch: Any, commit_lock: threading.Lock, name: str):
        super().__init__(name=name, daemon=True)
        self.conn = conn
        self.owner = owner
        self.lease_ms = lease_ms
        self.loop = loop
        self.jobs = jobs
        self.after_commit = after_commit
        self.on_batch = on_batch
        self.commit_lock = commit_lock
        self.finished: asyncio.Future = loop.create_future()
        self.commits = 0
        self.holding = False     # checkpointing: the loop must not start a write (_checkpoint)

    def notify(self) -> None:
        """Nothing to do: this thread blocks on the job queue itself."""

    def run(self) -> None:
        stopping = False
        try:
            while not stopping:
                batch = [self.jobs.get()]
                while len(batch) < MAX_BATCH:
                    try:
                        batch.append(self.jobs.get_nowait())
                    except queue.Empty:
                        break
                work = [op for op in batch if op.kind not in CONTROL]
                stopping = any(op.kind == STOP for op in batch)
                if work:
                    self._run_batch(work)
                if not stopping and len(work) != len(batch):   # stopping: TRUNCATE below
                    self._checkpoint()
            try:
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass   # another process is reading: a later checkpoint does it
        finally:
            self.conn.close()
            self._call(self._finish, None)

    def _checkpoint(self) -> None:
        """Asked for by the loop's connection, which never checkpoints itself (sqlite_loop.py).
        Two passes. The first copies most of the WAL while the loop keeps committing. A
        checkpoint that races new frames never completes, and only a complete one lets the
        next commit start the WAL from its beginning (else the WAL grows for ever); so for
        the second, short pass `holding` is set, and the loop starts no write meanwhile
        (the driver's fast_store(); its writes come here, queued behind the pass)."""
        try:
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self.holding = True
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:
            log.warning("queue checkpoint failed", extra={"fields": {"error": str(exc)}})
        finally:
            self.holding = False

    def _finish(self, _: Any) -> None:
        if not self.finished.done():
            self.finished.set_result(None)

    def _call(self, fn: Any, arg: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(fn, arg)
        except RuntimeError:   # the loop is closed: nobody is waiting any more
            pass

    def _run_batch(self, ops: list[Op]) -> None:
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                values = self._apply(ops)
                with self.commit_lock:
                    conn.execute("COMMIT")
                    results = list(zip(ops, values, [None] * len(ops)))
                    self.after_commit(results)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            if len(ops) > 1:
                # One bad op must not fail the others: run them one by one.
                for op in ops:
                    self._run_batch([op])
                return
            results = [(ops[0], None, translate(exc, "queue"))]
            self.after_commit(results)
        else:
            self.commits += 1
        self._call(self.on_batch, results)

    def _apply(self, ops: list[Op]) -> list[Any]:
        """Run every op in the open transaction; returns one value per op (claims: the
        rows as CLAIM returns them, in queue order)."""
        conn, owner = self.conn, self.owner
        now = now_ms()
        inserts = [op.args for op in ops if op.kind == PUBLISH]
        if inserts:
            # args: queue, msg_id, body, headers, attempts, last_error, delay_ms
            conn.executemany(INSERT, [a[:6] + (now, now + a[6]) for a in inserts])
        acks = [op.args[0] for op in ops if op.kind == ACK_OP]
        for i in range(0, len(acks), ACK_CHUNK):
            chunk = acks[i:i + ACK_CHUNK]
            conn.execute(ACK.format(",".join("?" * len(chunk))), (owner, *chunk))
        values: list[Any] = []
        for op in ops:
            kind, args = op.kind, op.args
            value = None
            if kind == CLAIM_OP:
                name, limit = args
                value = conn.execute(CLAIM, (now + self.lease_ms, owner, name, now,
                                             limit)).fetchall()
                value.sort(key=queue_order)
            elif kind == RETRY_OP:
                row_id, delay_ms, attempts, error, _ = args
                value = conn.execute(RETRY, (now + delay_ms, attempts, error, row_id,
                                             owner)).rowcount
            elif kind == RELEASE_OP:
                value = conn.execute(RELEASE, (args[0], owner)).rowcount
            elif kind == EXTEND_OP:
                value = conn.execute(EXTEND, (now + self.lease_ms, owner)).rowcount
            values.append(value)
        return values


def queue_order(row: tuple) -> tuple:
    """Sort key of CLAIM's rows (RETURNING order is unspecified): (visible_at, id)."""
    return row[6], row[0]


def json_default(value: Any) -> Any:
    if isinstance(value, bytes):   # nested bytes: JSON has no such type
        return value.decode("utf-8", "replace")
    raise TypeError(f"{type(value).__name__} cannot be stored in a queue message")


# Made once: json.dumps() with any non-default option builds a new encoder per call.
_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"),
                                default=json_default).encode
_encode_headers = json.JSONEncoder(separators=(",", ":"), default=json_default).encode
_decode_json = json.JSONDecoder().decode


def encode_headers(headers: dict) -> str:
    """Compact JSON. Most messages carry only the `timestamp` header new_message() adds:
    that one is formatted directly, as the encoder would (its per-call set-up is most of
    the cost of so small an object)."""
    if len(headers) == 1:
        ts = headers.get("timestamp")
        if type(ts) is int:
            return f'{{"timestamp":{ts}}}'
    return _encode_headers(headers)


def decode_headers(raw: str | None) -> dict:
    return _decode_json(raw) if raw else {}


def encode_body(body: Any) -> bytes:
    """Bytes are kept as they are; anything else is JSON (a one-byte tag says which)."""
    if isinstance(body, bytes):
        return b"b" + body
    return b"j" + _encode_json(body).encode("utf-8", "replace")


def decode_body(raw: bytes) -> Any:
    if raw[:1] == b"b":
        return bytes(raw[1:])
    return _decode_json(raw[1:].decode())   # always UTF-8 (encode_body)


def read_counts(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """Per queue: ready (visible, including expired leases), delayed, in_flight."""
    out = {}
    for name, ready, delayed, in_flight in conn.execute(COUNTS, {"now": now_ms()}):
        out[name] = {"ready": ready or 0, "delayed": delayed or 0, "in_flight": in_flight or 0}
    return out
