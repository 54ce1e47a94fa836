"""The contract every queue driver follows. Implementations stay bare; the rules live here.

Rules (tests/queue/test_driver_contract.py checks each of them for every driver):

1. `declare(name, options)` is called when a `queue.queue` entry is built, before
   `start()`. Declaring the same name twice keeps one queue. Publishing works from
   then on, even before `start()`.
2. `publish_nowait(name, message)` never blocks and is **safe to call from any
   thread** (Lua handlers publish from their worker thread). It enqueues the
   message or raises: `QueueFull` (Unavailable `queue full`) when there is no
   room, `queue not found` for an undeclared name, `queue is closed` after stop.
   `try_publish(name, message)` is the same but returns False instead of raising
   `QueueFull` (a full queue is routine under load; an exception per refusal is not).
3. `publish(name, message, deadline=None)` (on the loop) waits for room at most
   the queue's publish bound, then raises `QueueFull` (docs/decisions.md D12). It never waits
   forever. Given a `deadline` (loop time) that comes before the bound, it
   raises `TimeoutError` at the deadline instead (the caller's own time ran out).
   On a `durable` driver it returns only once the message is stored (committed).
   `try_publish_durable(name, message)` (any thread, never blocks) returns
   False when full, True when the message is as safe as it will get (memory;
   or a durable driver that stored it on the spot, e.g. sqlite committing on
   the loop), or a loop future that a durable driver resolves once the message
   is stored (or fails, e.g. retryable Unavailable on a full disk). Callers who answer
   "accepted" to someone (Lua's `queue.publish`) wait for that future.
4. `subscribe(name, prefetch, ...)` attaches a consumer. `Subscription.receive()`
   waits for the next ready message and returns a `Delivery`. Several
   subscriptions on one queue compete; each message goes to one of them.
   Receiving is cancellation-safe: a message is never lost when the receiving
   task is cancelled.
5. Every delivery is settled exactly once, on the loop, by one of:
   - `ack(delivery)`: done, the message is gone;
   - `retry(delivery, delay)`: the caller has already counted the failed attempt
     in `delivery.message.attempts` / `last_error`; the driver keeps them with the
     message and makes it ready again after `delay` seconds. Retries are never
     dropped and are not refused by the queue bound (docs/decisions.md D2);
   - `release(delivery)`: the message was never started (a consumer stopping with
     prefetched messages); it goes back to the head of the queue, no attempt counted.
   What to do after a failure (backoff, dead letter) is decided by `Queue`, not here.
6. `info(name)` returns at least `message_count` and `ready` (Go's keys) and may add
   more (`delayed`, `in_flight`).
7. `stop()` closes the queues: waiting receivers fail with `queue is closed`, later
   publishes fail the same way. A driver that loses messages on stop (memory) logs
   how many. `start()` after `stop()` opens them again.
"""
from __future__ import annotations

from typing import Any, ClassVar

from .errors import QueueFull
from .message import Delivery, Message


class Subscription:
    """One consumer's attachment to one queue (returned by `Driver.subscribe`)."""

    async def receive(self) -> Delivery:
        raise NotImplementedError

    async def close(self) -> None:
        """Detach. Must not lose messages that `receive()` has not returned."""


class Driver:
    """Base of every queue driver; see the module docstring for the rules."""
    # Key of this driver's sub-bag in a queue's `driver_options` ("memory", "amqp", ...).
    short_name: ClassVar[str]
    # True when a message survives the process: publish waits for it to be stored.
    durable: ClassVar[bool] = False

    def __init__(self, entry_id: str):
        self.entry_id = entry_id

    def declare(self, name: str, options: Any = None) -> None:
        raise NotImplementedError

    def publish_nowait(self, name: str, message: Message) -> None:
        raise NotImplementedError

    def try_publish(self, name: str, message: Message) -> bool:
        try:
            self.publish_nowait(name, message)
        except QueueFull:
            return False
        return True

    def try_publish_durable(self, name: str, message: Message) -> Any:
        return self.try_publish(name, message)

    async def publish(self, name: str, message: Message,
                      deadline: float | None = None) -> None:
        self.publish_nowait(name, message)

    async def subscribe(self, name: str, prefetch: int, auto_ack: bool = False,
                        options: dict | None = None) -> Subscription:
        raise NotImplementedError

    async def ack(self, delivery: Delivery) -> None:
        raise NotImplementedError

    async def retry(self, delivery: Delivery, delay: float) -> None:
        raise NotImplementedError

    async def release(self, delivery: Delivery) -> None:
        raise NotImplementedError

    def info(self, name: str) -> dict[str, Any]:
        raise NotImplementedError

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass
