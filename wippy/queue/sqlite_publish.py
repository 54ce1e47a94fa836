"""Publishing into `queue.driver.sqlite` (sqlite.py), from any thread, never blocking.

On the event loop's thread a publish joins the loop turn's transaction
(sqlite_claims.Claims: the turn's publishes, acks and claims, one COMMIT at the
next turn on the loop's own connection) when that connection is free: a durable
caller gets a future done after that COMMIT, so the publishes of the HTTP
handlers that ran in one turn share one commit. Anywhere else, or when the
loop's connection is not free, the insert is queued for the writer thread and a
durable caller gets a future that is done after the writer's COMMIT. Either way
a durable publish has returned only once the message is committed.
"""
from __future__ import annotations

import asyncio
from threading import get_ident
from typing import Any

from ..errors import INVALID, WippyError
from .errors import QueueFull, queue_closed
from .message import Message
from .sqlite_claims import SqliteQueue
from .sqlite_store import PUBLISH, Op, encode_body, encode_headers


class Publishing:
    """The publishing half of SqliteDriver (a mixin: the driver holds the state it uses:
    queues and their counts, `lock`, `count_lock`, `jobs`, `queued`, `writer`, `loop`,
    `loop_thread` and `fast_store()`)."""

    def _offer(self, name: str, message: Message, durable: bool) -> Any:
        """False when full. Else True once the insert is queued (in the loop turn's
        transaction or for the writer); with `durable`, instead a loop future done after
        that COMMIT. Never blocks."""
        q = self._queue(name)
        body = encode_body(message.body)
        headers = encode_headers(message.headers)
        size = len(body) + len(headers)
        if size > self.max_message_size:
            raise WippyError(f"message too large: {size} bytes, the limit is "
                             f"{self.max_message_size} (max_message_size on {self.entry_id})",
                             INVALID, retryable=False, details={"queue": name})
        args = (name, message.id, body, headers, message.attempts, message.last_error, 0)
        if self.loop_thread == get_ident():
            stored = self._publish_now(q, args, durable)
            if stored is not None:
                return stored
        loop = self.loop
        fut = asyncio.Future(loop=loop) if durable and loop is not None else None
        with self.lock:
            if self.closed:
                raise queue_closed(name)
            if q.waiting + q.pending >= q.max_length:
                return False
            q.pending += 1
            self.queued += 1
            self.jobs.put(Op(PUBLISH, args, fut))
            writer = self.writer
        if writer is not None:
            writer.notify()
        return True if fut is None else fut

    def _publish_now(self, q: SqliteQueue, args: tuple, durable: bool) -> Any:
        """On the loop: join this turn's transaction (Claims.flush) when the loop's
        connection is free, or when earlier publishes of the turn already wait there
        (they are written in order). True (not durable) or a future done after the
        COMMIT (durable) once joined, False when full, None when it must go to the
        writer thread."""
        claims = self.claims
        if not claims.publishes and self.fast_store() is None:
            return None
        with self.lock:
            if self.closed:
                raise queue_closed(q.name)
            if q.waiting + q.pending >= q.max_length:
                return False
            q.pending += 1      # until committed (published) or handed to the writer
        fut = self.loop.create_future() if durable else None
        claims.publish(Op(PUBLISH, args, fut))
        return True if fut is None else fut

    def published(self, ops: list[Op]) -> None:
        """On the loop, right after the turn's COMMIT (under the count lock)."""
        with self.lock:
            for op in ops:
                q = self.queues[op.args[0]]
                q.pending -= 1
                q.waiting += 1

    def on_published(self, ops: list[Op]) -> None:
        """On the loop, after the turn's COMMIT: publishers resume, consumers wake."""
        woken = set()
        for op in ops:
            woken.add(op.args[0])
            fut = op.fut
            if fut is not None and not fut.done():
                fut.set_result(True)
        for name in woken:
            self.queues[name].wake()

    def to_writer(self, ops: list[Op]) -> None:
        """The turn's publishes (counted as pending) go to the writer thread, in order."""
        if not ops:
            return
        with self.lock:
            self.queued += len(ops)
            for op in ops:
                self.jobs.put(op)
            writer = self.writer
        if writer is not None:
            writer.notify()

    def publish_nowait(self, name: str, message: Message) -> None:
        if self._offer(name, message, False) is False:
            raise QueueFull(name)

    def try_publish(self, name: str, message: Message) -> bool:
        return self._offer(name, message, False) is not False

    def try_publish_durable(self, name: str, message: Message) -> Any:
        """Any thread: False when full, else a loop future done after the COMMIT (the loop
        turn's or the writer's); True, without a future, before start() when the driver
        was declared off the loop: nothing could report on it."""
        return self._offer(name, message, True)

    async def publish(self, name: str, message: Message,
                      deadline: float | None = None) -> None:
        """On the loop: waits for room (at most the queue's bound), then for the COMMIT."""
        q = self._queue(name)
        loop = asyncio.get_running_loop()
        bound = loop.time() + q.publish_timeout
        while True:
            stored = self._offer(name, message, self.loop is loop)
            if stored is not False:
                if stored is not True:
                    await stored
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
                async with asyncio.timeout(end - loop.time()):   # not wait_for: see aio.py
                    await room
            except asyncio.TimeoutError:
                pass
