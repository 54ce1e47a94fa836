"""`queue.driver.sqlite`: durable queues in one SQLite file (at-least-once).

The SQL and the writer thread are in sqlite_store.py, the loop's own connection
in sqlite_loop.py, publishing in sqlite_publish.py, the subscriptions and their
claims and acks in sqlite_claims.py. This file keeps the rest of the Driver
contract (driver.py): settlement, counts, stop/start, and the writer's reports.

Where a statement runs: on the event loop's connection, one transaction per
loop turn for the turn's publishes, acks and claims (group commit), when the
caller is on the loop and the writer thread has nothing queued or running
(`fast_store`); else on the writer thread, which groups everything queued into
one commit.

Durability: `publish_nowait` only queues the insert; `publish` (on the loop)
and `try_publish_durable` (any thread: a future) finish after the COMMIT, so a
caller that waits for them (Lua's `queue.publish`) knows the message is on
disk. A delivery holds a lease (`lease`, extended every lease/3 while it is
unsettled); a process that dies leaves its rows to come back when their lease
ends.
"""
from __future__ import annotations

import asyncio
import logging
import os
import queue
import socket
import sqlite3
import threading
from dataclasses import dataclass
from threading import get_ident
from typing import Any

from ..errors import INVALID, UNAVAILABLE, WippyError
from ..common.ids import uuid4
from ..registry.config import spec
from ..sql.fastpath import loop_safe
from .driver import Driver, Subscription
from .errors import queue_not_found
from .message import Delivery
from .sqlite_claims import Claims, Receipt, SqliteSubscription, SqliteQueue
from .sqlite_loop import LoopStore
from .sqlite_publish import Publishing
from .sqlite_shared import DatabaseWriter, create_schema
from .sqlite_store import (CHECKPOINT_OP, CLAIM_OP, EXTEND_OP, PUBLISH, RELEASE_OP, RETRY_OP,
                           STOP, Op, StoreSettings, Writer, open_file, read_counts)

DEFAULT_MAX_LENGTH = 100_000
WAKE_MARGIN = 0.005   # a retry timer fires this much after the row's visible_at


@dataclass
class SqliteQueueOptions:
    """`driver_options.sqlite` on a queue.queue."""
    max_length: int = spec(DEFAULT_MAX_LENGTH, min=0,
                           doc="messages waiting (ready + delayed); 0 = the default, 100000")
    publish_timeout: float = spec(1.0, duration=True, min=0,
                                  doc="how long a publish into a full queue waits")


class SqliteDriver(Publishing, Driver):
    short_name = "sqlite"
    durable = True

    def __init__(self, entry_id: str, path: str, *, lease: float = 30.0,
                 poll_interval: float = 1.0, max_message_size: int = 1 << 20,
                 claim_batch: int = 64, settings: StoreSettings | None = None,
                 log: logging.Logger | None = None, database: Any = None):
        super().__init__(entry_id)
        # `database`: a wippy.sql Database whose file and writer hold the queue table.
        self.database = database
        if database is not None:
            path = database.path
        self.file = path                    # as configured: what error lines show
        self.path = os.path.abspath(path)
        self.lease = lease
        self.poll_interval = poll_interval
        self.max_message_size = max_message_size
        self.claim_batch = claim_batch
        self.settings = settings or StoreSettings()
        self.log = log or logging.getLogger(f"wippy.{entry_id}")
        self.owner = f"{socket.gethostname()}/{os.getpid()}/{uuid4()[:8]}"
        self.queues: dict[str, SqliteQueue] = {}
        self.claims = Claims(self)
        self.lock = threading.Lock()        # pending/waiting/queued counts, `closed`, job order
        self.count_lock = threading.Lock()  # a COMMIT and its count update, against info()
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.queued = 0                     # operations given to the writer, not committed yet
        self.closed = False                 # only stop() closes; publishing works before start
        self.started = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.writer: Writer | None = None
        self.reader: sqlite3.Connection | None = None
        self.store: LoopStore | None = None  # the loop's connection (sqlite_loop.py)
        self.loop_thread = 0
        self._ticker: asyncio.Task | None = None

    def _queue(self, name: str) -> SqliteQueue:
        q = self.queues.get(name)
        if q is None:
            raise queue_not_found(name)
        return q

    def declare(self, name: str, options: SqliteQueueOptions | None = None) -> None:
        if self.loop is None:
            # Built on the loop: publishes made before start() (an HTTP handler that
            # runs first) still get a future, resolved once start() has committed them.
            try:
                self.loop = asyncio.get_running_loop()
            except RuntimeError:
                pass
        if name not in self.queues:
            options = options or SqliteQueueOptions()
            self.queues[name] = SqliteQueue(name, options.max_length or DEFAULT_MAX_LENGTH,
                                            options.publish_timeout)

    # -- the writer's reports -------------------------------------------------------------

    def _after_commit(self, results: list) -> None:
        """Writer thread, right after COMMIT: committed publishes move from pending to waiting."""
        with self.lock:
            self.queued -= len(results)
            for op, value, err in results:
                if op.kind == PUBLISH:
                    q = self.queues.get(op.args[0])
                    if q is not None:
                        q.pending -= 1
                        if err is None:
                            q.waiting += 1
                elif err is None and op.kind == CLAIM_OP:
                    q = self.queues.get(op.args[0])
                    if q is not None:
                        q.waiting = max(0, q.waiting - len(value))
                elif err is None and value and op.kind in (RETRY_OP, RELEASE_OP):
                    q = self.queues.get(op.args[-1])
                    if q is not None:
                        q.waiting += 1

    def _on_batch(self, results: list) -> None:
        """Loop: resolve the callers' futures, wake idle subscriptions and publishers."""
        woken = set()
        for op, value, err in results:
            fut = op.fut
            if op.kind == PUBLISH:
                name = op.args[0]
                if err is None:
                    woken.add(name)
                elif fut is None:
                    self.log.error("queue publish failed after it was accepted",
                                   extra={"fields": {"queue": name, "message_id": op.args[1],
                                                     "error": err.message}})
            elif op.kind == CLAIM_OP and err is None:
                q = self.queues.get(op.args[0])
                if q is not None and value:
                    q.wake_space(len(value))
                if fut is None or fut.done():   # the claimer went away: give the rows back
                    for row in value or ():
                        self.submit(Op(RELEASE_OP, (row[0], op.args[0])))
                    continue
            elif op.kind == RELEASE_OP and err is None:
                woken.add(op.args[1])
            if fut is not None and not fut.done():
                if err is None:
                    fut.set_result(value)
                else:
                    fut.set_exception(_unavailable(err))
        for name in woken:
            q = self.queues.get(name)
            if q is not None:
                q.wake()

    def submit(self, op: Op) -> bool:
        """Any thread: hand an operation to the writer thread. False once closed."""
        with self.lock:
            if self.writer is None or self.closed:
                return False
            if op.kind != CHECKPOINT_OP:   # the writer holds the loop off itself (holding)
                self.queued += 1
            self.jobs.put(op)
            writer = self.writer
        writer.notify()
        return True

    def fast_store(self) -> LoopStore | None:
        """On the loop: its connection, when a statement may run there now. Not while the
        writer thread has anything queued or running: they would contend for the write
        lock, and an operation must not overtake one queued before it; nor while the
        writer finishes a checkpoint (Writer._checkpoint)."""
        store = self.store
        if store is None or self.queued or self.closed or self.writer.holding:
            return None
        return store

    def claimed(self, q: SqliteQueue, n: int) -> None:
        """On the loop: `n` rows of `q` were claimed on the loop's connection."""
        with self.lock:
            q.waiting = max(0, q.waiting - n)
        q.wake_space(n)

    # -- consuming ---------------------------------------------------------------------

    async def subscribe(self, name: str, prefetch: int, auto_ack: bool = False,
                        options: dict | None = None) -> Subscription:
        sub = SqliteSubscription(self, self.claims, self._queue(name), prefetch)
        self.claims.subs.add(sub)
        return sub

    async def ack(self, delivery: Delivery) -> None:
        receipt: Receipt = delivery.receipt
        receipt.sub.settled()
        self.claims.ack(receipt.row_id)   # not awaited: a lost ack is a redelivery

    async def retry(self, delivery: Delivery, delay: float) -> None:
        receipt: Receipt = delivery.receipt
        receipt.sub.settled()
        message = delivery.message
        fut = self.loop.create_future() if self.loop else None
        op = Op(RETRY_OP, (receipt.row_id, int(delay * 1000), message.attempts,
                           message.last_error, receipt.sub.q.name), fut)
        if not self.submit(op):
            self.log.warning("retry not stored: queue is closed; the message comes back "
                             "after its lease", extra={"fields": {
                                 "queue": receipt.sub.q.name, "message_id": message.id}})
            return
        await fut
        q = receipt.sub.q
        self.loop.call_later(delay + WAKE_MARGIN, q.wake)

    async def release(self, delivery: Delivery) -> None:
        receipt: Receipt = delivery.receipt
        sub = receipt.sub
        if not sub.closed and not self.closed:
            sub.buffer.appendleft(delivery)   # still leased by us: back to the head at once
            if sub.receivers:
                sub.hand(sub.buffer.popleft())
            return
        sub.settled()
        self.claims.release(receipt)

    # -- counts ------------------------------------------------------------------------

    def info(self, name: str) -> dict[str, Any]:
        q = self._queue(name)
        with self.count_lock:
            counts = {}
            if self.reader is not None:
                try:
                    counts = read_counts(self.reader).get(name, {})
                except sqlite3.Error as exc:
                    raise _unavailable(WippyError(f"queue info: {exc}", UNAVAILABLE)) from None
            with self.lock:
                pending = q.pending
        # Claimed in a batch but not handed to anyone yet: still ready, from outside.
        buffered = sum(len(s.buffer) for s in list(self.claims.subs) if s.q is q)
        ready = counts.get("ready", 0) + pending + buffered
        return {"message_count": ready, "ready": ready, "delayed": counts.get("delayed", 0),
                "in_flight": max(0, counts.get("in_flight", 0) - buffered),
                "max_length": q.max_length}

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        if self.started:
            return
        loop = asyncio.get_running_loop()
        if self.database is None:
            conn = await asyncio.to_thread(open_file, self.path, self.settings, self.entry_id,
                                           self.file)
        elif self.database.memory:
            raise WippyError(f"{self.entry_id}: database {self.database.entry_id} is "
                             f":memory:; the queues need a file (give it a `file`, or use "
                             f"`file` here instead of `database`)", INVALID, retryable=False)
        else:
            await self.database.start()   # its own start errors name the database entry
            await create_schema(self.database)
        self.reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                      timeout=self.settings.busy_timeout_ms / 1000)
        self.loop = loop
        self._resync(read_counts(self.reader))
        if self.database is None:
            writer = Writer(conn, self.owner, int(self.lease * 1000), loop, self.jobs,
                            self._after_commit, self._on_batch, self.count_lock,
                            f"wippy-queue-{self.entry_id}")
        else:
            writer = DatabaseWriter(self.database, self.owner, int(self.lease * 1000), loop,
                                    self.jobs, self._after_commit, self._on_batch)
        with self.lock:
            self.writer = writer
            self.closed = False
        writer.start()
        if self.database is None and loop_safe(self.settings.synchronous):
            try:
                self.store = await asyncio.to_thread(
                    LoopStore, self.path, self.owner, int(self.lease * 1000),
                    lambda: self.submit(Op(CHECKPOINT_OP, ())))
                self.loop_thread = get_ident()
            except sqlite3.Error as exc:   # the writer's connection works: use only that
                self.log.warning("queue loop connection not opened; every statement goes "
                                 "through the writer thread", extra={"fields": {
                                     "driver": self.entry_id, "error": str(exc)}})
        self.started = True
        self._ticker = loop.create_task(self._tick(), name=f"{self.entry_id} ticker")
        self.log.info("sqlite queue driver started", extra={"fields": {
            "driver": self.entry_id, "file": self.path, "owner": self.owner,
            "queues": {n: q.waiting for n, q in self.queues.items()}}})

    def _resync(self, counts: dict) -> None:
        with self.lock:
            for name, q in self.queues.items():
                c = counts.get(name, {})
                q.waiting = c.get("ready", 0) + c.get("delayed", 0)

    async def _tick(self) -> None:
        """Every poll_interval: other processes' publishes, ended leases and delays become
        visible here; every lease/3: extend the leases this process holds."""
        loop = asyncio.get_running_loop()
        next_extend = loop.time() + self.lease / 3
        while True:
            await asyncio.sleep(min(self.poll_interval, self.lease / 3))
            if loop.time() >= next_extend:
                next_extend = loop.time() + self.lease / 3
                if any(s.outstanding for s in self.claims.subs):
                    self.submit(Op(EXTEND_OP, ()))
            if self.store is not None and self.store.since_checkpoint:
                self.store.checkpoint_now()
            try:
                counts = await asyncio.to_thread(self._read_counts)
            except sqlite3.Error as exc:
                self.log.warning("queue counts not read", extra={"fields": {"error": str(exc)}})
                continue
            self._resync(counts)
            for q in self.queues.values():
                q.wake()

    def _read_counts(self) -> dict:
        with self.count_lock:
            return read_counts(self.reader) if self.reader is not None else {}

    async def stop(self) -> None:
        if not self.started:
            with self.lock:
                self.closed = True
            return
        for sub in list(self.claims.subs):
            await sub.close()
        self.claims.flush()   # acks not deleted yet: now, or queued for the writer
        store, self.store, self.loop_thread = self.store, None, 0
        if store is not None:
            store.close()
        with self.lock:
            writer, self.writer = self.writer, None
            self.closed = True
            self.jobs.put(Op(STOP, ()))
        writer.notify()
        if self._ticker is not None:
            self._ticker.cancel()
        for q in self.queues.values():
            q.wake()
            q.wake_space(len(q.space))
        await writer.finished
        with self.count_lock:
            self.reader.close()
            self.reader = None
        self.started = False
        self.loop = None
        self.log.info("sqlite queue driver stopped", extra={"fields": {
            "driver": self.entry_id, "file": self.path, "commits": writer.commits,
            "loop_commits": store.commits if store is not None else 0}})


def _unavailable(err: WippyError) -> WippyError:
    """Storage failures reach publishers as retryable Unavailable errors."""
    if err.kind == INVALID:
        return err
    return WippyError(err.message, UNAVAILABLE, retryable=True, details=err.details)
