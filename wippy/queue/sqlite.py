"""`queue.driver.sqlite`: durable queues in one SQLite file (at-least-once).

The SQL and the writer thread are in sqlite_store.py, the subscriptions that
claim rows in batches in sqlite_claims.py. This file keeps the Driver contract
(driver.py): publishing from any thread without blocking, settlement, counts,
stop/start.

Durability: `publish_nowait` only queues the insert; `publish` (on the loop)
and `try_publish_durable` (any thread, returns a future) finish after the
COMMIT, so a caller that waits for them (Lua's `queue.publish`) knows the
message is on disk. A delivery holds a lease (`lease`, extended every
lease/3 while it is unsettled); a process that dies leaves its rows to come
back when their lease ends.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import socket
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any

from ..errors import INVALID, UNAVAILABLE, WippyError
from ..ids import uuid4
from ..registry.config import spec
from .driver import Driver, Subscription
from .errors import QueueFull, queue_closed, queue_not_found
from .message import Delivery, Message
from .sqlite_claims import Receipt, SqliteSubscription, SqliteQueue
from .sqlite_shared import DatabaseWriter, create_schema
from .sqlite_store import (ACK_OP, CLAIM_OP, EXTEND_OP, PUBLISH, RELEASE_OP, RETRY_OP, STOP,
                           Op, StoreSettings, Writer, json_default, decode_body, encode_body,
                           open_file, read_counts)

DEFAULT_MAX_LENGTH = 100_000
WAKE_MARGIN = 0.005   # a retry timer fires this much after the row's visible_at


@dataclass
class SqliteQueueOptions:
    """`driver_options.sqlite` on a queue.queue."""
    max_length: int = spec(DEFAULT_MAX_LENGTH, min=0,
                           doc="messages waiting (ready + delayed); 0 = the default, 100000")
    publish_timeout: float = spec(1.0, duration=True, min=0,
                                  doc="how long a publish into a full queue waits")


class SqliteDriver(Driver):
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
        self.subs: set[SqliteSubscription] = set()
        self.lock = threading.Lock()        # pending/waiting counts, `closed`, job order
        self.count_lock = threading.Lock()  # a COMMIT and its count update, against info()
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.closed = False                 # only stop() closes; publishing works before start
        self.started = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.writer: Writer | None = None
        self.reader: sqlite3.Connection | None = None
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

    # -- publishing (any thread) --------------------------------------------------------

    def _offer(self, name: str, message: Message, fut: Any = None) -> bool:
        """Queue the insert if there is room; False when full. Never blocks."""
        q = self._queue(name)
        body = encode_body(message.body)
        headers = json.dumps(message.headers, separators=(",", ":"), default=json_default)
        size = len(body) + len(headers)
        if size > self.max_message_size:
            raise WippyError(f"message too large: {size} bytes, the limit is "
                             f"{self.max_message_size} (max_message_size on {self.entry_id})",
                             INVALID, retryable=False, details={"queue": name})
        with self.lock:
            if self.closed:
                raise queue_closed(name)
            if q.waiting + q.pending >= q.max_length:
                return False
            q.pending += 1
            self.jobs.put(Op(PUBLISH, (name, message.id, body, headers, message.attempts,
                                       message.last_error, 0), fut))
            writer = self.writer
        if writer is not None:
            writer.notify()
        return True

    def publish_nowait(self, name: str, message: Message) -> None:
        if not self._offer(name, message):
            raise QueueFull(name)

    def try_publish(self, name: str, message: Message) -> bool:
        return self._offer(name, message)

    def try_publish_durable(self, name: str, message: Message) -> Any:
        """Any thread: False when full, else a loop future done after the COMMIT."""
        loop = self.loop
        if loop is None:   # declared off the loop and not started: nothing to report on
            return self._offer(name, message)
        fut = asyncio.Future(loop=loop)   # awaited and resolved on the loop only
        return fut if self._offer(name, message, fut) else False

    async def publish(self, name: str, message: Message,
                      deadline: float | None = None) -> None:
        """On the loop: waits for room (at most the queue's bound), then for the COMMIT."""
        q = self._queue(name)
        loop = asyncio.get_running_loop()
        bound = loop.time() + q.publish_timeout
        while True:
            fut = loop.create_future() if self.loop is loop else None
            if self._offer(name, message, fut):
                if fut is not None:
                    await fut
                return
            if q.publish_timeout <= 0:
                raise QueueFull(name)
            end = bound if deadline is None else min(bound, deadline)
            if loop.time() >= end:
                if deadline is not None and deadline < bound:
                    raise TimeoutError
                raise QueueFull(name)
            room = loop.create_future()
            q.space.append(room)
            try:
                await asyncio.wait_for(room, end - loop.time())
            except asyncio.TimeoutError:
                pass

    # -- the writer's reports -------------------------------------------------------------

    def _after_commit(self, results: list) -> None:
        """Writer thread, right after COMMIT: committed publishes move from pending to waiting."""
        with self.lock:
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
                        self._submit(Op(RELEASE_OP, (row.id, op.args[0])))
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

    def _submit(self, op: Op) -> bool:
        with self.lock:
            if self.writer is None or self.closed:
                return False
            self.jobs.put(op)
            writer = self.writer
        writer.notify()
        return True

    # -- consuming ---------------------------------------------------------------------

    async def _claim(self, name: str, limit: int, sub: SqliteSubscription) -> int:
        fut = asyncio.get_running_loop().create_future()
        if not self._submit(Op(CLAIM_OP, (name, limit), fut)):
            raise queue_closed(name)
        rows = await fut
        for row in rows:
            headers = json.loads(row.headers) if row.headers else {}
            message = Message(row.msg_id, decode_body(row.body), headers, row.attempts,
                              row.last_error)
            sub.outstanding += 1
            sub.hand(Delivery(message, Receipt(row.id, sub)))
        return len(rows)

    async def subscribe(self, name: str, prefetch: int, auto_ack: bool = False,
                        options: dict | None = None) -> Subscription:
        sub = SqliteSubscription(self, self._queue(name), prefetch)
        self.subs.add(sub)
        return sub

    async def ack(self, delivery: Delivery) -> None:
        receipt: Receipt = delivery.receipt
        receipt.sub.settled()
        self._submit(Op(ACK_OP, (receipt.row_id,)))   # not awaited: a lost ack is a redelivery

    async def retry(self, delivery: Delivery, delay: float) -> None:
        receipt: Receipt = delivery.receipt
        receipt.sub.settled()
        message = delivery.message
        fut = self.loop.create_future() if self.loop else None
        op = Op(RETRY_OP, (receipt.row_id, int(delay * 1000), message.attempts,
                           message.last_error, receipt.sub.q.name), fut)
        if not self._submit(op):
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
        self._submit(Op(RELEASE_OP, (receipt.row_id, sub.q.name)))

    def _release_buffer(self, sub: SqliteSubscription) -> None:
        """Give a closing subscription's unstarted deliveries back, newest first."""
        while sub.buffer:
            delivery = sub.buffer.pop()
            sub.outstanding -= 1
            self._submit(Op(RELEASE_OP, (delivery.receipt.row_id, sub.q.name)))
        self.subs.discard(sub)

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
        buffered = sum(len(s.buffer) for s in list(self.subs) if s.q is q)
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
                if any(s.outstanding for s in self.subs):
                    self._submit(Op(EXTEND_OP, ()))
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
        for sub in list(self.subs):
            await sub.close()
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
            "driver": self.entry_id, "file": self.path, "commits": writer.commits}})


def _unavailable(err: WippyError) -> WippyError:
    """Storage failures reach publishers as retryable Unavailable errors."""
    if err.kind == INVALID:
        return err
    return WippyError(err.message, UNAVAILABLE, retryable=True, details=err.details)
