"""`queue.driver.amqp`: queues on a RabbitMQ broker (at-least-once), aio-pika client.

Publishes go through a confirm channel and finish on the broker's confirm; they are pipelined
(each is its own task), so a burst does not wait confirm by confirm. Messages are persistent and
queues durable. A retry is a confirmed copy into `<queue>.retry.<ms>` (a queue-level TTL that
dead-letters back into the queue), then the original is acked: a crash in between gives a
duplicate, never a loss. Counts for `info` and the publish bound are this node's view.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import threading
from typing import Any

from ..errors import INVALID, UNAVAILABLE, WippyError
from ..common.ids import uuid4
from .amqp_message import decode, encode
from .amqp_options import AmqpQueueOptions, queue_arguments
from .driver import Driver, Subscription
from .errors import QueueFull, queue_closed, queue_not_found
from .message import Delivery, Message

DEFAULT_MAX_LENGTH = 100_000
CONSUMER_OPTIONS = {"exclusive", "no_local", "no_wait", "consumer_tag"}  # a consumer's driver_options.amqp


class AmqpQueue:
    """One declared queue as this node sees it. Deliveries from every subscription on this
    node wait in one inbox, so any local receiver takes them: a broker pushes up to `prefetch`
    messages to a channel whether or not its owner is receiving right now."""

    def __init__(self, name: str, options: AmqpQueueOptions):
        self.name = name
        self.options = options
        self.max_length = options.max_length or DEFAULT_MAX_LENGTH
        self.ready = 0          # published (or accepted for publish) and not yet received here
        self.delayed = 0
        self.in_flight = 0
        self.space: list[asyncio.Future] = []
        self.inbox: collections.deque[Delivery] = collections.deque()
        self.receivers: collections.deque[asyncio.Future] = collections.deque()

    def wake_space(self) -> None:
        while self.space and self.ready < self.max_length:
            fut = self.space.pop(0)
            if not fut.done():
                fut.set_result(None)
                return

    def hand(self, delivery: Delivery) -> None:
        while self.receivers:
            fut = self.receivers.popleft()
            if not fut.done():
                fut.set_result(delivery)
                return
        self.inbox.append(delivery)


class AmqpSubscription(Subscription):
    def __init__(self, driver: "AmqpDriver", q: AmqpQueue):
        self.driver = driver
        self.q = q
        self.channel = None
        self.closed = False
        self.waiting: set[asyncio.Future] = set()

    async def receive(self) -> Delivery:
        q = self.q
        while True:
            if self.closed or self.driver.closed:
                raise queue_closed(q.name)
            if q.inbox:
                delivery = q.inbox.popleft()
            else:
                fut = asyncio.get_running_loop().create_future()
                q.receivers.append(fut)
                self.waiting.add(fut)
                try:
                    delivery = await fut
                except asyncio.CancelledError:
                    # Handed over just as we were cancelled: back to the head, not lost.
                    if fut.done() and not fut.cancelled() and fut.exception() is None:
                        q.inbox.appendleft(fut.result())
                    raise
                finally:
                    self.waiting.discard(fut)
            if delivery.receipt[1].closed:   # its channel is gone: the broker redelivers it
                continue
            q.ready = max(0, q.ready - 1)
            q.in_flight += 1
            q.wake_space()
            return delivery

    def _shut(self) -> None:
        self.closed = True
        for fut in list(self.waiting):
            if not fut.done():
                fut.set_exception(queue_closed(self.q.name))

    async def close(self) -> None:
        # Closing the channel hands its unacked deliveries back to the broker.
        self._shut()
        self.q.inbox = collections.deque(d for d in self.q.inbox if d.receipt[1] is not self)
        channel, self.channel = self.channel, None
        if channel is not None and not channel.is_closed:
            try:
                await channel.close()
            except Exception:
                pass
        self.driver.subs.discard(self)


class AmqpDriver(Driver):
    short_name = "amqp"
    durable = True

    def __init__(self, entry_id: str, url: str, *, prefetch_count: int = 0,
                 connection_name: str = "", connect_options: dict | None = None,
                 reconnect_delay: float = 1.0, reconnect_max_delay: float = 30.0,
                 default_message_ttl: float = 0.0,
                 default_queue_ttl: float = 0.0, default_queue_expiry: float = 0.0,
                 log: logging.Logger | None = None):
        super().__init__(entry_id)
        self.url = url
        self.prefetch_count = prefetch_count
        self.connection_name = connection_name
        self.connect_options = connect_options or {}
        self.reconnect_delay = reconnect_delay
        self.reconnect_max_delay = reconnect_max_delay
        self.default_message_ttl = default_message_ttl
        self.default_queue_ttl = default_queue_ttl
        self.default_queue_expiry = default_queue_expiry
        self.log = log or logging.getLogger(f"wippy.{entry_id}")
        self.queues: dict[str, AmqpQueue] = {}
        self.subs: set[AmqpSubscription] = set()
        self.lock = threading.Lock()
        self.closed = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.connection = None
        self.channel = None             # the confirm channel publishes use
        self.backlog: list[tuple] = []  # accepted before start(): sent by start()
        self.tasks: set[asyncio.Task] = set()

    def _queue(self, name: str) -> AmqpQueue:
        q = self.queues.get(name)
        if q is None:
            raise queue_not_found(name)
        return q

    def declare(self, name: str, options: AmqpQueueOptions | None = None) -> None:
        if name not in self.queues:
            self.queues[name] = AmqpQueue(name, options or AmqpQueueOptions())

    # -- publishing ------------------------------------------------------------------

    def _offer(self, name: str, message: Message, fut: Any = None) -> bool:
        q = self._queue(name)
        with self.lock:
            if self.closed:
                raise queue_closed(name)
            if q.ready >= q.max_length:
                return False
            q.ready += 1
            loop = self.loop if self.channel is not None else None
            if loop is None:
                self.backlog.append((name, message, fut))
                return True
        loop.call_soon_threadsafe(self._spawn, name, message, fut)
        return True

    def _spawn(self, name: str, message: Message, fut: Any) -> None:
        task = asyncio.get_running_loop().create_task(self._send(name, message, fut))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _send(self, name: str, message: Message, fut: Any, routing_key: str = "") -> None:
        try:
            await self._publish_confirmed(routing_key or name, message)
        except Exception as exc:
            err = _unavailable(exc)
            if fut is not None and not fut.done():
                fut.set_exception(err)
            else:
                self.log.error("queue publish failed after it was accepted", extra={
                    "fields": {"queue": name, "message_id": message.id, "error": err.message}})
            return
        if fut is not None and not fut.done():
            fut.set_result(None)

    async def _publish_confirmed(self, routing_key: str, message: Message,
                                 keep_expiration: bool = True) -> None:
        channel = self.channel
        if channel is None or channel.is_closed:
            raise WippyError("amqp: not connected to the broker", UNAVAILABLE, retryable=True)
        # default_message_ttl is stamped per message, as Go does; a retry copy carries none
        # (its delay queue's TTL decides when it comes back).
        expiration = self.default_message_ttl if keep_expiration and \
            self.default_message_ttl else None
        await channel.default_exchange.publish(encode(message, expiration),
                                               routing_key=routing_key)

    def publish_nowait(self, name: str, message: Message) -> None:
        if not self._offer(name, message):
            raise QueueFull(name)

    def try_publish(self, name: str, message: Message) -> bool:
        return self._offer(name, message)

    def try_publish_durable(self, name: str, message: Message) -> Any:
        loop = self.loop
        if loop is None:
            return self._offer(name, message)
        fut = asyncio.Future(loop=loop)
        return fut if self._offer(name, message, fut) else False

    async def publish(self, name: str, message: Message,
                      deadline: float | None = None) -> None:
        q = self._queue(name)
        loop = asyncio.get_running_loop()
        bound = loop.time() + q.options.publish_timeout
        while True:
            fut = loop.create_future()
            if self._offer(name, message, fut):
                await fut
                return
            end = bound if deadline is None else min(bound, deadline)
            if q.options.publish_timeout <= 0 or loop.time() >= end:
                if deadline is not None and deadline < bound and loop.time() >= deadline:
                    raise TimeoutError
                raise QueueFull(name)
            room = loop.create_future()
            q.space.append(room)
            try:
                async with asyncio.timeout(end - loop.time()):   # not wait_for: see aio.py
                    await room
            except asyncio.TimeoutError:
                pass

    # -- consuming ---------------------------------------------------------------------

    async def subscribe(self, name: str, prefetch: int, auto_ack: bool = False,
                        options: dict | None = None) -> Subscription:
        q = self._queue(name)
        if self.closed or self.connection is None:
            raise queue_closed(name)
        sub = AmqpSubscription(self, q)
        sub.channel = await self.connection.channel()
        # The consumer's prefetch wins; the driver's prefetch_count is the fallback (as Go).
        await sub.channel.set_qos(prefetch_count=prefetch or self.prefetch_count or 0)
        queue = await self._declare_on(sub.channel, q)

        async def on_message(incoming) -> None:
            q.hand(Delivery(decode(incoming), (incoming, sub)))

        opts = dict(options or {})
        unknown = sorted(set(opts) - CONSUMER_OPTIONS)
        if unknown:
            raise WippyError(f"driver_options.amqp.{unknown[0]}: unknown consumer option; "
                             f"known: {', '.join(sorted(CONSUMER_OPTIONS))}", INVALID,
                             retryable=False, details={"queue": name})
        # As Go: the tag (default: the queue name) gets 8 random hex digits, unique per node.
        tag = f"{opts.get('consumer_tag') or name}-{uuid4().replace('-', '')[:8]}"
        # no_local and no_wait are accepted as in Wippy; RabbitMQ ignores no_local, and
        # no_wait only skips the broker's reply, which this client always waits for.
        sub.tag = await queue.consume(on_message, no_ack=False, consumer_tag=tag,
                                      exclusive=bool(opts.get("exclusive", False)))
        self.subs.add(sub)
        return sub

    async def _declare_on(self, channel, q: AmqpQueue):
        return await channel.declare_queue(
            q.name, durable=q.options.durable, auto_delete=q.options.auto_delete,
            arguments=queue_arguments(q.options, self.default_queue_ttl,
                                      self.default_queue_expiry))

    def _settled(self, delivery: Delivery) -> Any:
        incoming, sub = delivery.receipt
        sub.q.in_flight = max(0, sub.q.in_flight - 1)
        return incoming, sub

    async def ack(self, delivery: Delivery) -> None:
        incoming, sub = self._settled(delivery)
        try:
            await incoming.ack()
        except Exception:   # the channel went away: the broker redelivers it
            pass

    async def retry(self, delivery: Delivery, delay: float) -> None:
        incoming, sub = self._settled(delivery)
        q = sub.q
        ms = max(1, int(delay * 1000))
        retry_queue = f"{q.name}.retry.{ms}"
        await self.channel.declare_queue(retry_queue, durable=True, arguments={
            "x-message-ttl": ms, "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": q.name, "x-expires": ms + 60_000})
        await self._publish_confirmed(retry_queue, delivery.message, keep_expiration=False)
        q.delayed += 1
        asyncio.get_running_loop().call_later(delay, self._delay_over, q)
        try:
            await incoming.ack()
        except Exception:
            pass

    def _delay_over(self, q: AmqpQueue) -> None:
        q.delayed = max(0, q.delayed - 1)
        q.ready += 1

    async def release(self, delivery: Delivery) -> None:
        incoming, sub = self._settled(delivery)
        sub.q.ready += 1
        if not sub.closed and not self.closed:
            # Still unacked on our channel: back to the head of this node's inbox at once.
            sub.q.inbox.appendleft(delivery)
            if sub.q.receivers:
                sub.q.hand(sub.q.inbox.popleft())
            return
        try:
            await incoming.nack(requeue=True)
        except Exception:
            pass

    def info(self, name: str) -> dict[str, Any]:
        q = self._queue(name)
        return {"message_count": q.ready, "ready": q.ready, "delayed": q.delayed,
                "in_flight": q.in_flight, "max_length": q.max_length}

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        import aio_pika

        from .amqp_connection import BackoffConnection
        if self.connection is not None:
            return
        try:
            connection = await aio_pika.connect_robust(
                self.url, reconnect_interval=self.reconnect_delay,
                client_properties={"connection_name": self.connection_name or self.entry_id},
                connection_class=BackoffConnection, **self.connect_options)
            connection.configure_backoff(self.reconnect_delay, self.reconnect_max_delay)
        except Exception as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise WippyError(f"{self.entry_id}: cannot connect to the AMQP broker at "
                             f"{_safe(self.url)}: {reason}", UNAVAILABLE,
                             retryable=True) from None
        channel = await connection.channel(publisher_confirms=True)
        for q in self.queues.values():
            await self._declare_on(channel, q)
        with self.lock:
            self.loop = asyncio.get_running_loop()
            self.connection, self.channel = connection, channel
            self.closed = False
            backlog, self.backlog = self.backlog, []
        for name, message, fut in backlog:
            self._spawn(name, message, fut)

    async def stop(self) -> None:
        with self.lock:
            self.closed = True
        for sub in list(self.subs):
            await sub.close()
        for q in self.queues.values():
            for fut in q.space:
                if not fut.done():
                    fut.set_result(None)
            q.space.clear()
        if self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)
        connection, self.connection, self.channel = self.connection, None, None
        if connection is not None:
            await connection.close()
        for q in self.queues.values():   # the broker keeps them; this node counts afresh
            q.ready = q.delayed = q.in_flight = 0
        self.loop = None


def _safe(url: str) -> str:
    """The URL without its password, for error lines."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://{rest.split('@', 1)[1]}"
    return url


def _unavailable(exc: Exception) -> WippyError:
    if isinstance(exc, WippyError):
        return exc
    return WippyError(f"amqp publish failed: {exc}", UNAVAILABLE, retryable=True)
