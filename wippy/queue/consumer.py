"""The consumer runtime: a pump, a prefetch buffer and `concurrency` workers.

    driver --pump--> buffer (<= prefetch) --> workers (<= concurrency in flight)

Each message is handed to `invoke(body, delivery) -> Outcome`; production wires
it to the Lua engine (`lua_invoker`), unit tests pass a Python stand-in.
Settlement follows docs/decisions.md D1: an explicit `msg:ack()`/`msg:nack()` stands,
otherwise the outcome decides; a nack goes through `Queue.nack` (backoff, dead letter).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from .driver import Subscription
from .message import ACK, NACK, Delivery
from .queue import Queue


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a handler call means for its message."""
    ok: bool
    error: str | None = None
    # The handler said not to retry (`retryable = false` on its error): final at once.
    final: bool = False


ACKED = Outcome(True)
Invoke = Callable[[Any, Delivery], Awaitable[Outcome]]


def outcome_of(result: Any) -> Outcome:
    """docs/decisions.md D1: `false`, `nil, err` or a raised error -> nack; anything else
    -> ack.

    An error object made with `retryable = false` (returned or raised) makes the
    failure final. A returned plain string is not such an object (the engine marks
    it non-retryable only because a string carries no flag), so it retries."""
    err = result.error
    if err is not None:
        explicit = result.raised or (len(result.values) >= 2 and result.values[1] is err)
        return Outcome(False, err.message, final=explicit and err.retryable is False)
    if result.values and result.values[0] is False:
        return Outcome(False, "handler returned false")
    return ACKED


HOLD_LIMIT = 0.005   # seconds a consumer worker may run messages without yielding


def lua_invoker(engine: Any, fdef: Any) -> Invoke:
    """Call a function.lua entry with the body as its one argument."""
    async def invoke(body: Any, delivery: Delivery) -> Outcome:
        return outcome_of(await engine.call(fdef, (body,), delivery=delivery))
    return invoke


class Consumer:
    """A `queue.consumer` entry: a Service (start/stop) that feeds a queue to a handler."""

    def __init__(self, entry_id: str, queue: Queue, invoke: Invoke, *, func_id: str = "",
                 concurrency: int = 1, prefetch: int = 10, auto_ack: bool = False,
                 driver_options: dict | None = None, stop_timeout: float = 10.0,
                 log: logging.Logger | None = None):
        self.id = entry_id
        self.queue = queue
        self.invoke = invoke
        self.func_id = func_id
        self.concurrency = concurrency if concurrency > 0 else 1
        self.prefetch = prefetch if prefetch > 0 else 10
        self.auto_ack = auto_ack
        self.driver_options = driver_options
        self.stop_timeout = stop_timeout
        self.log = log or logging.getLogger(f"wippy.{entry_id}")
        self.acked = 0
        self.nacked = 0
        self._running = False
        self._stopping = False
        self._subscription: Subscription | None = None
        self._buffer: asyncio.Queue[Delivery] | None = None
        self._pump: asyncio.Task | None = None
        self._workers: set[asyncio.Task] = set()
        self._busy: set[asyncio.Task] = set()
        self._done: asyncio.Future | None = None

    # -- Service -----------------------------------------------------------------------

    async def start(self) -> None:
        if self._running:
            return
        loop = asyncio.get_running_loop()
        self._subscription = await self.queue.subscribe(
            self.prefetch, self.auto_ack, self.driver_options)
        self._buffer = asyncio.Queue(self.prefetch)
        self._stopping = False
        self._done = loop.create_future()
        self._pump = loop.create_task(self._pump_loop(), name=f"{self.id} pump")
        self._workers = {loop.create_task(self._worker(i), name=f"{self.id} worker {i}")
                         for i in range(self.concurrency)}
        self._running = True
        self.log.info("consumer started", extra={"fields": self._fields(
            concurrency=self.concurrency, prefetch=self.prefetch)})

    async def stop(self) -> None:
        """Stop fetching, return unstarted messages, let in-flight handlers finish.

        On a driver that loses what it holds when it stops (memory), first keep
        working the backlog for its `drain_timeout` (at most half the stop budget)."""
        if not self._running:
            return
        drain = getattr(self.queue.driver, "drain_timeout", 0.0)
        if drain > 0 and not self.queue.driver.durable:
            await self._drain(min(drain, self.stop_timeout / 2) if self.stop_timeout else drain)
        self._running = False
        self._stopping = True
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._pump
        await self._return_unstarted()
        for task in self._workers - self._busy:
            task.cancel()
        busy = set(self._busy)
        if busy:
            # Leave the supervisor's stop budget a margin for the cleanup below.
            grace = self.stop_timeout * 0.9 if self.stop_timeout else None  # 0 = no limit
            _, pending = await asyncio.wait(busy, timeout=grace)
            if pending:
                self.log.error("consumer stop timed out", extra={"fields": self._fields(
                    in_flight=len(pending))})
                for task in pending:
                    task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.close()
        self._finish(None)
        self.log.info("consumer stopped", extra={"fields": self._fields(
            acked=self.acked, nacked=self.nacked)})

    async def _drain(self, budget: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget

        def left() -> int:
            return (self.queue.info().get("ready", 0) + len(self._busy)
                    + (self._buffer.qsize() if self._buffer else 0))

        if not left():
            return
        self.log.info("draining the queue before stopping", extra={"fields": self._fields(
            backlog=left(), drain_timeout=f"{budget:g}s")})
        while left() and loop.time() < deadline and not (self._done and self._done.done()):
            await asyncio.sleep(0.02)   # a stop-time poll; handlers settle on their own
        if left():
            self.log.warning("drain time is up", extra={"fields": self._fields(left=left())})

    async def wait(self) -> None:
        """Returns after stop(); raises if the consumer died (the supervisor restarts it)."""
        assert self._done is not None, "wait() before start()"
        await asyncio.shield(self._done)

    def stats(self) -> dict[str, int]:
        return {"in_flight": len(self._busy),
                "buffered": self._buffer.qsize() if self._buffer else 0,
                "acked": self.acked, "nacked": self.nacked}

    # -- internals ---------------------------------------------------------------------

    async def _pump_loop(self) -> None:
        assert self._subscription is not None and self._buffer is not None
        receive, buffer = self._subscription.receive, self._buffer
        loop = asyncio.get_running_loop()
        turn_start = loop.time()
        try:
            while True:
                if loop.time() - turn_start > HOLD_LIMIT:   # a large prefetch fills in steps
                    await asyncio.sleep(0)
                    turn_start = loop.time()
                delivery = await receive()
                try:
                    await buffer.put(delivery)
                except asyncio.CancelledError:
                    await self.queue.release(delivery)
                    raise
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the driver went away: let the supervisor restart us
            self.log.error("consumer stopped receiving", extra={"fields": self._fields(
                error=getattr(exc, "message", None) or repr(exc))})
            self._finish(exc)

    async def _return_unstarted(self) -> None:
        assert self._buffer is not None
        unstarted = []
        while not self._buffer.empty():
            unstarted.append(self._buffer.get_nowait())
        for delivery in reversed(unstarted):  # newest first, so the head keeps its order
            with contextlib.suppress(Exception):
                await self.queue.release(delivery)
        if unstarted:
            self.log.info("returned prefetched messages to the queue",
                          extra={"fields": self._fields(count=len(unstarted))})

    async def _worker(self, worker_id: int) -> None:
        assert self._buffer is not None
        task = asyncio.current_task()
        buffer = self._buffer
        loop = asyncio.get_running_loop()
        turn_start = loop.time()
        try:
            while not self._stopping:
                # Buffered messages and fast handlers need no wait, so a worker runs
                # them back to back (cheaper than a loop turn each), but yields once
                # it has held the loop for HOLD_LIMIT, so HTTP is never kept waiting.
                if loop.time() - turn_start > HOLD_LIMIT:
                    await asyncio.sleep(0)
                    turn_start = loop.time()
                delivery = await buffer.get()
                self._busy.add(task)
                try:
                    await self._process(delivery, worker_id)
                finally:
                    self._busy.discard(task)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug here must not leave a silent, dead worker
            self.log.exception("consumer worker crashed", extra={"fields": self._fields(
                worker_id=worker_id)})
            self._finish(exc)

    async def _process(self, delivery: Delivery, worker_id: int) -> None:
        try:
            outcome = await self.invoke(delivery.message.body, delivery)
        except asyncio.CancelledError:
            delivery.settle_default(NACK, "handler cancelled: consumer stopped")
            await self._settle(delivery, NACK, worker_id)
            raise
        except Exception as exc:
            self.log.exception("handler invocation failed", extra={"fields": self._fields(
                message_id=delivery.message.id)})
            outcome = Outcome(False, f"internal error: {type(exc).__name__}")
        decision = delivery.settle_default(ACK if outcome.ok else NACK, outcome.error)
        if decision == NACK and delivery.error is None:
            delivery.error = outcome.error or "message nacked by handler"
        await self._settle(delivery, decision, worker_id, final=not outcome.ok and outcome.final)

    async def _settle(self, delivery: Delivery, decision: str, worker_id: int,
                      final: bool = False) -> None:
        try:
            if decision == ACK:
                self.acked += 1
                await self.queue.ack(delivery)
                return
            self.nacked += 1
            # An attempt that will be retried is expected: WARN. The last one (dead letter
            # or dropped) is the failure to look at: ERROR (docs/kinds/queue.md).
            queue = self.queue
            if queue.retries(delivery.message.attempts + 1, final):
                level, extra = logging.WARNING, {"retry": True}
            else:
                level = logging.ERROR
                extra = {"final": True} if final else {}   # not retried: say why
                if queue.dead_letter is not None:
                    extra["dead_letter"] = queue.dead_letter.id
            self.log.log(level, "message processing failed", extra={"fields": self._fields(
                worker_id=worker_id, message_id=delivery.message.id,
                attempt=delivery.attempt, error=delivery.error, **extra)})
            await self.queue.nack(delivery, delivery.error, final=final)
        except Exception as exc:
            self.log.error(f"failed to {decision} message", extra={"fields": self._fields(
                message_id=delivery.message.id, error=getattr(exc, "message", None) or repr(exc))})

    def _finish(self, exc: BaseException | None) -> None:
        if self._done is None or self._done.done():
            return
        if exc is None:
            self._done.set_result(None)
        else:
            self._done.set_exception(exc)
            self._done.exception()  # retrieved: nobody may be waiting, that is fine

    def _fields(self, **extra: Any) -> dict[str, Any]:
        return {"consumer": self.id, "queue": self.queue.id, "func": self.func_id, **extra}
