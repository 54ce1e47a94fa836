"""The consuming side of `queue.driver.sqlite` (sqlite.py): per-queue state of this
process, the subscriptions that hand claimed rows to `receive()`, and `Claims`, the
one way subscriptions reach the store (claims, acks, giving rows back)."""
from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import WippyError
from .driver import Subscription
from .errors import queue_closed
from .message import Delivery, Message
from .sqlite_store import (ACK_OP, CLAIM_OP, MAX_BATCH, RELEASE_OP, Op, decode_body,
                           decode_headers, now_ms)

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
        if self.wakers:
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


class Claims:
    """A driver's turn on the loop: its publishes, claims and acks.

    Publishes made on the loop (Lua's `queue.publish` in HTTP handlers), acks and
    claims are collected during a loop turn and written at the next one in a single
    transaction (group commit): one BEGIN/COMMIT, one WAL append of the pages they
    share, instead of one per message. A durable publisher waits for that COMMIT
    (its future), so "published" still means "on disk". An ack is not awaited (a
    lost ack is a redelivery), and its delete keeps the lease-owner check. The
    transaction runs on the loop's own connection when the driver has it free
    (`driver.fast_store()`, sqlite_loop.py); otherwise all of it goes to the writer
    thread, in order, as every operation did before the loop path existed."""

    def __init__(self, driver: "SqliteDriver"):
        self.driver = driver
        self.subs: set[SqliteSubscription] = set()
        self.acks: list[int] = []          # row ids settled, not deleted yet
        self.publishes: list[Op] = []      # PUBLISH ops of this turn, counted as pending
        self.wanting: list[SqliteSubscription] = []
        self.scheduled = False

    def ack(self, row_id: int) -> None:
        self.acks.append(row_id)
        self._schedule()

    def publish(self, op: Op) -> None:
        """A publish accepted on the loop (already counted as pending), stored with the
        turn's transaction; its future, if any, is resolved after that COMMIT."""
        self.publishes.append(op)
        if len(self.publishes) >= MAX_BATCH:
            self.flush()   # bounds the transaction (and the first publisher's wait)
        else:
            self._schedule()

    def want(self, sub: "SqliteSubscription") -> None:
        """`sub` has receivers waiting and room again: claim for it at the next turn."""
        if not sub.wanted:
            sub.wanted = True
            self.wanting.append(sub)
            self._schedule()

    def _schedule(self) -> None:
        if not self.scheduled:
            self.scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """The turn's publishes, acks and claims, in one transaction (or to the writer)."""
        self.scheduled = False
        subs, self.wanting = self.wanting, []
        for sub in subs:
            sub.wanted = False
        subs = [s for s in subs if s.wants_rows()]
        pubs, self.publishes = self.publishes, []
        if not self.acks and not subs and not pubs:
            return
        if self.claim_now(subs, pubs) is None:
            self.driver.to_writer(pubs)
            acks, self.acks = self.acks, []
            for row_id in acks:
                self.driver.submit(Op(ACK_OP, (row_id,)))
            for sub in subs:
                sub.kick()

    def claim_now(self, subs: list["SqliteSubscription"], pubs: list[Op] = ()) -> int | None:
        """On the loop, without waiting: `pubs`, the pending acks and a claim of each
        subscription's free room, in one transaction on the loop's connection.
        The number of rows claimed, or None when that connection is not free now."""
        driver = self.driver
        store = driver.fast_store()
        if store is None:
            return None
        batch = driver.claim_batch
        asks = [(s, min(s.room(), batch)) for s in subs]
        claims = [(s.q.name, n) for s, n in asks if n > 0]
        if not pubs:
            got = store.run((), self.acks, claims, now_ms())
        else:
            # The count lock (not waited for) keeps info() from seeing a row both
            # stored and pending (the writer takes it around its COMMIT too).
            if not driver.count_lock.acquire(blocking=False):
                return None
            try:
                got = store.run([op.args for op in pubs], self.acks, claims, now_ms())
                if got is not None:
                    driver.published(pubs)
            finally:
                driver.count_lock.release()
        if got is None:
            return None
        self.acks = []
        total = 0
        rows_of = iter(got)
        for sub, n in asks:
            rows = next(rows_of) if n > 0 else []
            if rows:
                total += len(rows)
                driver.claimed(sub.q, len(rows))
                sub.take(rows)
            elif sub.receivers and sub.feeder is None:
                sub.kick()   # nothing ready: its feeder waits for a wake-up
        if pubs:
            driver.on_published(pubs)
        return total

    async def claim(self, sub: "SqliteSubscription") -> int:
        """On the loop's connection if free, else through the writer thread."""
        n = self.claim_now([sub])
        if n is not None:
            return n
        limit = min(sub.room(), self.driver.claim_batch)
        fut = asyncio.get_running_loop().create_future()
        if not self.driver.submit(Op(CLAIM_OP, (sub.q.name, limit), fut)):
            raise queue_closed(sub.q.name)
        sub.claiming += limit
        try:
            rows = await fut   # counted by the driver when committed
        finally:
            sub.claiming -= limit
        sub.take(rows)
        return len(rows)

    def release(self, receipt: Receipt) -> None:
        """Back to its place in the queue, no attempt counted (through the writer)."""
        self.driver.submit(Op(RELEASE_OP, (receipt.row_id, receipt.sub.q.name)))

    def detach(self, sub: "SqliteSubscription") -> None:
        """Give a closing subscription's unstarted deliveries back, newest first."""
        while sub.buffer:
            delivery = sub.buffer.pop()
            sub.outstanding -= 1
            self.release(delivery.receipt)
        self.subs.discard(sub)


class SqliteSubscription(Subscription):
    """Claims up to `prefetch` rows at a time (counting those not settled yet) and
    hands them to waiting `receive()` calls."""

    def __init__(self, driver: "SqliteDriver", claims: Claims, q: SqliteQueue, prefetch: int):
        self.driver = driver
        self.claims = claims
        self.q = q
        self.prefetch = max(1, prefetch)
        self.buffer: deque[Delivery] = deque()
        self.receivers: deque[asyncio.Future] = deque()
        self.outstanding = 0      # claimed by this subscription and not settled
        self.claiming = 0         # asked of the writer thread, not returned yet
        self.wanted = False       # in claims.wanting
        self.feeder: asyncio.Task | None = None
        self.closed = False

    def room(self) -> int:
        return self.prefetch - self.outstanding - self.claiming

    def wants_rows(self) -> bool:
        return (not self.closed and self.feeder is None and self.room() > 0
                and any(not f.done() for f in self.receivers))

    async def receive(self) -> Delivery:
        if self.closed or self.driver.closed:
            raise queue_closed(self.q.name)
        if not self.buffer and not self.receivers and self.q.waiting > 0 and self.room() > 0:
            self.claims.claim_now([self])   # rows known to be there: no task, no wait
        if self.buffer and not self.receivers:
            return self.buffer.popleft()
        fut = asyncio.get_running_loop().create_future()
        self.receivers.append(fut)
        if self.room() > 0:
            self.kick()   # else a settlement asks for rows (settled -> Claims.want)
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

    def take(self, rows: list) -> None:
        """Claimed rows (as CLAIM returns them) become deliveries, in queue order."""
        if self.closed:   # closed while the writer claimed: straight back
            for row in rows:
                self.claims.release(Receipt(row[0], self))
            return
        for row_id, msg_id, body, headers, attempts, last_error, _ in rows:
            message = Message(msg_id, decode_body(body), decode_headers(headers), attempts,
                              last_error)
            self.outstanding += 1
            self.hand(Delivery(message, Receipt(row_id, self)))

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
                if self.room() <= 0:
                    return   # a settlement asks for more
                gen = q.gen
                if await self.claims.claim(self) or q.gen != gen:
                    continue
                waker = asyncio.get_running_loop().create_future()
                q.wakers.append(waker)
                try:
                    async with asyncio.timeout(driver.poll_interval):   # not wait_for: see aio.py
                        await waker
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
            self.claims.want(self)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.fail(queue_closed(self.q.name))
        self.claims.detach(self)
