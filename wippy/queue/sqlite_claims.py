"""The consuming side of `queue.driver.sqlite` (sqlite.py): per-queue state of this
process and the subscriptions that claim rows in batches and hand them to `receive()`."""
from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import WippyError
from .driver import Subscription
from .errors import queue_closed
from .message import Delivery

if TYPE_CHECKING:  # pragma: no cover
    from .sqlite import SqliteDriver


class SqliteQueue:
    """Per-queue state of this process. Counts shared with threads under the driver's lock."""

    def __init__(self, name: str, max_length: int, publish_timeout: float):
        self.name = name
        self.max_length = max_length
        self.publish_timeout = publish_timeout
        self.waiting = 0      # committed rows not leased (ready + delayed), last known
        self.pending = 0      # publishes queued for the writer, not committed yet
        self.gen = 0          # bumped on the loop whenever rows may have become ready
        self.wakers: list[asyncio.Future] = []       # idle subscriptions
        self.space: deque[asyncio.Future] = deque()  # publishers waiting for room

    def wake(self) -> None:
        self.gen += 1
        wakers, self.wakers = self.wakers, []
        for fut in wakers:
            if not fut.done():
                fut.set_result(None)

    def wake_space(self, n: int) -> None:
        while n > 0 and self.space:
            fut = self.space.popleft()
            if not fut.done():
                fut.set_result(None)
                n -= 1


@dataclass(slots=True)
class Receipt:
    row_id: int
    sub: "SqliteSubscription"


class SqliteSubscription(Subscription):
    """Claims up to `prefetch` rows at a time (counting those not settled yet) and
    hands them to waiting `receive()` calls."""

    def __init__(self, driver: "SqliteDriver", q: SqliteQueue, prefetch: int):
        self.driver = driver
        self.q = q
        self.prefetch = max(1, prefetch)
        self.buffer: deque[Delivery] = deque()
        self.receivers: deque[asyncio.Future] = deque()
        self.outstanding = 0      # claimed by this subscription and not settled
        self.feeder: asyncio.Task | None = None
        self.closed = False

    async def receive(self) -> Delivery:
        if self.closed or self.driver.closed:
            raise queue_closed(self.q.name)
        if self.buffer and not self.receivers:
            return self.buffer.popleft()
        fut = asyncio.get_running_loop().create_future()
        self.receivers.append(fut)
        self.kick()
        try:
            return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                self.buffer.appendleft(fut.result())   # handed over, but nobody took it
            elif fut in self.receivers:
                self.receivers.remove(fut)
            raise

    def kick(self) -> None:
        if self.feeder is None and not self.closed and self.receivers:
            self.feeder = asyncio.get_running_loop().create_task(self._feed())

    def hand(self, delivery: Delivery) -> None:
        while self.receivers:
            fut = self.receivers.popleft()
            if not fut.done():
                fut.set_result(delivery)
                return
        self.buffer.append(delivery)

    async def _feed(self) -> None:
        q, driver = self.q, self.driver
        try:
            while not self.closed and not driver.closed:
                if not any(not f.done() for f in self.receivers):
                    return
                room = self.prefetch - self.outstanding
                if room <= 0:
                    return   # a settlement kicks again
                gen = q.gen
                rows = await driver._claim(q.name, min(room, driver.claim_batch), self)
                if rows or q.gen != gen:
                    continue
                waker = asyncio.get_running_loop().create_future()
                q.wakers.append(waker)
                try:
                    await asyncio.wait_for(waker, driver.poll_interval)
                except asyncio.TimeoutError:
                    pass
        except WippyError as exc:
            self.fail(exc)
        finally:
            self.feeder = None

    def fail(self, exc: WippyError) -> None:
        receivers, self.receivers = self.receivers, deque()
        for fut in receivers:
            if not fut.done():
                fut.set_exception(exc)

    def settled(self) -> None:
        self.outstanding -= 1
        if self.receivers and self.feeder is None:
            self.kick()

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.fail(queue_closed(self.q.name))
        self.driver._release_buffer(self)
