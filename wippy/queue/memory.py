"""`queue.driver.memory`: bounded in-process FIFO queues (at-most-once across restarts).

Publishing is a lock-protected deque append that any thread may do; waiting
consumers on the loop are woken with one batched `call_soon_threadsafe` per
burst, so a Lua worker thread publishes without a loop round trip. Only a
publish into a full queue waits, on the loop, at most `publish_timeout` (docs/decisions.md D12).

Waiting publishers are served first come, first served: while any of them
waits, a new publish queues behind it (no barging), and room that frees up
goes straight to the oldest waiter, whose message is appended for it. So under
sustained overload every publish waits about as long as the others, instead
of an unlucky one losing every race until its bound runs out.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from ..registry.config import spec
from .driver import Driver, Subscription
from .errors import QueueFull, queue_closed, queue_not_found
from .message import Delivery, Message

DEFAULT_MAX_LENGTH = 1000


@dataclass
class MemoryQueueOptions:
    """`driver_options.memory` on a queue.queue."""
    max_length: int = spec(DEFAULT_MAX_LENGTH, min=0, doc="0 = the default, 1000")
    publish_timeout: float = spec(1.0, duration=True, min=0,
                                  doc="how long a publish into a full queue waits")


class _MemoryQueue:
    """One queue. Everything shared with other threads is touched under `lock`."""

    def __init__(self, name: str, options: MemoryQueueOptions):
        self.name = name
        self.max_length = options.max_length or DEFAULT_MAX_LENGTH
        self.publish_timeout = options.publish_timeout
        self.lock = threading.Lock()
        self.ready: deque[Message] = deque()
        self.receivers: deque[asyncio.Future] = deque()     # waiting receive() calls
        # publishers waiting for room, oldest first: (future, message to append, deadline)
        self.space_waiters: deque[tuple[asyncio.Future, Message, float]] = deque()
        self.delayed: dict[int, tuple[asyncio.TimerHandle, Message]] = {}
        self.in_flight = 0
        self.closed = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread = 0
        self.wake_pending = False
        self.sweeper: asyncio.TimerHandle | None = None   # fails waiters past their bound

    # -- publishing (any thread) --------------------------------------------------

    def offer(self, message: Message, space_waiter: asyncio.Future | None = None,
              deadline: float = 0.0) -> bool:
        """Append if there is room and nobody waits for it; else register `space_waiter`
        (if given, with the message, to be appended when room frees) and return False."""
        with self.lock:
            if self.closed:
                raise queue_closed(self.name)
            waiters = self.space_waiters
            while waiters and waiters[0][0].done():  # timed out or cancelled
                waiters.popleft()
            if waiters or len(self.ready) >= self.max_length:
                if space_waiter is not None:
                    waiters.append((space_waiter, message, deadline))
                    if self.sweeper is None:
                        self.sweeper = self.loop.call_at(deadline, self._sweep)
                return False
            self.ready.append(message)
            if not self.receivers or self.wake_pending:
                return True
            self.wake_pending = True
            loop = self.loop
        self._schedule_wake(loop)
        return True

    def _schedule_wake(self, loop: asyncio.AbstractEventLoop) -> None:
        if threading.get_ident() == self.loop_thread:
            self.wake()
            return
        try:
            loop.call_soon_threadsafe(self.wake)
        except RuntimeError:  # the loop is closed (shutdown): the message just stays queued
            with self.lock:
                self.wake_pending = False

    # -- the loop side ---------------------------------------------------------------

    def bind(self) -> asyncio.AbstractEventLoop:
        loop = self.loop
        if loop is not None and self.loop_thread == threading.get_ident() and loop.is_running():
            return loop   # without get_running_loop(): a getpid() syscall each in 3.11
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            self.loop, self.loop_thread = loop, threading.get_ident()
        return loop

    def wake(self) -> None:
        """Hand ready messages to waiting receivers, then let waiting publishers
        fill the room that made (loop thread)."""
        handed = []
        with self.lock:
            self.wake_pending = False
            while True:
                while self.receivers and self.ready:
                    fut = self.receivers.popleft()
                    if fut.done():  # its receiver was cancelled
                        continue
                    handed.append((fut, self.ready.popleft()))
                # Admitted messages may go straight to receivers still waiting.
                if not (self._admit_locked() and self.receivers):
                    break
            self.in_flight += len(handed)
        for fut, message in handed:
            fut.set_result(message)

    def _admit_locked(self) -> int:
        """Append waiting publishers' messages, oldest first, while there is room
        (loop thread, under `lock`). Returns how many were admitted."""
        admitted = 0
        waiters = self.space_waiters
        while waiters and len(self.ready) < self.max_length:
            fut, message, _ = waiters.popleft()
            if fut.done():  # gave up (bound reached) or cancelled: nothing to append
                continue
            self.ready.append(message)
            fut.set_result(True)
            admitted += 1
        return admitted

    def _sweep(self) -> None:
        """Fail the waiting publishes whose bound has passed (loop thread).

        One timer per queue, not one per waiter: every waiter gets the same bound
        and they wait in order, so deadlines grow along the deque and the timer
        only ever needs the head's."""
        now = self.loop.time()
        with self.lock:
            self.sweeper = None
            waiters = self.space_waiters
            while waiters:
                fut, _, deadline = waiters[0]
                if not fut.done():
                    if deadline > now:
                        self.sweeper = self.loop.call_at(deadline, self._sweep)
                        break
                    fut.set_result(False)   # still waiting: its message was never appended
                waiters.popleft()

    async def receive(self) -> Message:
        loop = self.bind()
        with self.lock:
            if self.closed:
                raise queue_closed(self.name)
            if self.ready and not self.receivers:
                message = self.ready.popleft()
                self.in_flight += 1
                fut = None
            else:
                fut = loop.create_future()
                self.receivers.append(fut)
        if fut is None:
            if self.space_waiters:
                with self.lock:
                    self._admit_locked()
            return message
        try:
            return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                self.push_front(fut.result())  # handed over, but nobody will process it
            else:
                with self.lock:
                    if fut in self.receivers:
                        self.receivers.remove(fut)
            raise

    def push_front(self, message: Message) -> None:
        with self.lock:
            self.in_flight -= 1
            self.ready.appendleft(message)
            wake = bool(self.receivers)
        if wake:
            self.wake()

    def redeliver(self, key: int) -> None:
        """A retry's backoff is over: the message is ready again, bound or not
        (docs/decisions.md D2)."""
        with self.lock:
            _, message = self.delayed.pop(key)
            self.ready.append(message)
        self.wake()

    def close(self) -> int:
        """Close and drop everything; returns how many messages were dropped."""
        with self.lock:
            self.closed = True
            dropped = len(self.ready) + len(self.delayed) + self.in_flight
            for handle, _ in self.delayed.values():
                handle.cancel()
            self.ready.clear()
            self.delayed.clear()
            waiters = list(self.receivers) + [fut for fut, _, _ in self.space_waiters]
            if self.sweeper is not None:
                self.sweeper.cancel()
                self.sweeper = None
            self.receivers.clear()
            self.space_waiters.clear()
        for fut in waiters:
            if not fut.done():
                fut.set_exception(queue_closed(self.name))
        return dropped


class MemorySubscription(Subscription):
    def __init__(self, queue: _MemoryQueue):
        self.queue = queue

    async def receive(self) -> Delivery:
        return Delivery(await self.queue.receive(), self.queue)


class MemoryDriver(Driver):
    short_name = "memory"

    def __init__(self, entry_id: str, log: logging.Logger | None = None,
                 drain_timeout: float = 0.0):
        super().__init__(entry_id)
        self.log = log or logging.getLogger(f"wippy.{entry_id}")
        # On shutdown, consumers keep working the backlog this long (Consumer.stop),
        # since whatever is left when the driver stops is lost.
        self.drain_timeout = drain_timeout
        self.queues: dict[str, _MemoryQueue] = {}
        self._keys = itertools.count(1)

    def _queue(self, name: str) -> _MemoryQueue:
        q = self.queues.get(name)
        if q is None:
            raise queue_not_found(name)
        return q

    def declare(self, name: str, options: MemoryQueueOptions | None = None) -> None:
        if name not in self.queues:
            self.queues[name] = _MemoryQueue(name, options or MemoryQueueOptions())

    def publish_nowait(self, name: str, message: Message) -> None:
        if not self._queue(name).offer(message):
            raise QueueFull(name)

    def try_publish(self, name: str, message: Message) -> bool:
        return self._queue(name).offer(message)

    async def publish(self, name: str, message: Message,
                      deadline: float | None = None) -> None:
        q = self._queue(name)
        if q.offer(message):
            return
        if q.publish_timeout <= 0:
            raise QueueFull(name)
        loop = q.bind()
        bound = loop.time() + q.publish_timeout
        if deadline is not None and deadline < bound:
            # The caller's deadline comes first (rare: call budgets are longer than
            # the bound). Waiters share the queue's sweeper only with equal bounds.
            async with asyncio.timeout_at(deadline):
                return await self.publish(name, message)
        room = loop.create_future()
        if q.offer(message, room, bound):
            return
        if not await room:   # False: the queue's sweeper found the bound passed
            raise QueueFull(name)

    async def subscribe(self, name: str, prefetch: int, auto_ack: bool = False,
                        options: dict | None = None) -> Subscription:
        return MemorySubscription(self._queue(name))

    async def ack(self, delivery: Delivery) -> None:
        q: _MemoryQueue = delivery.receipt
        with q.lock:
            q.in_flight -= 1

    async def retry(self, delivery: Delivery, delay: float) -> None:
        q: _MemoryQueue = delivery.receipt
        loop = q.bind()
        key = next(self._keys)
        with q.lock:
            q.in_flight -= 1
            if q.closed:
                self.log.warning("message dropped: queue is closed",
                                 extra={"fields": {"queue": q.name, "message_id": delivery.message.id}})
                return
            handle = loop.call_later(delay, q.redeliver, key)
            q.delayed[key] = (handle, delivery.message)

    async def release(self, delivery: Delivery) -> None:
        q: _MemoryQueue = delivery.receipt
        if q.closed:
            with q.lock:
                q.in_flight -= 1
            return
        q.push_front(delivery.message)

    def info(self, name: str) -> dict[str, Any]:
        q = self._queue(name)
        with q.lock:
            ready = len(q.ready)
            return {"message_count": ready, "ready": ready, "delayed": len(q.delayed),
                    "in_flight": q.in_flight, "max_length": q.max_length}

    async def start(self) -> None:
        for q in self.queues.values():
            with q.lock:
                if q.closed:  # reopen after stop(): everything from before was dropped
                    q.closed = False
                    q.in_flight = 0

    async def stop(self) -> None:
        dropped = {name: n for name, q in self.queues.items() if (n := q.close())}
        total = sum(dropped.values())
        if total:
            self.log.warning("memory queue driver stopped, messages dropped",
                             extra={"fields": {"driver": self.entry_id, "dropped": total,
                                               "queues": dropped}})
        else:
            self.log.info("memory queue driver stopped",
                          extra={"fields": {"driver": self.entry_id, "dropped": 0}})
