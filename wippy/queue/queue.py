"""A declared queue (`queue.queue` entry): publishing, and what a failed attempt leads to."""
from __future__ import annotations

import logging
import threading
from typing import Any

from ..errors import WippyError
from .driver import Driver, Subscription
from .message import Delivery, Message, new_message
from .retry import RetryPolicy


class Queue:
    """The object built for a `queue.queue` entry (`ctx.objects[entry_id]`).

    Drivers move messages; this class decides what a failure leads to (docs/decisions.md D2):
    the failed attempt is counted in the message, then either the message goes
    to the dead-letter queue (after `max_attempts`) or the driver makes it
    ready again after the backoff delay.
    """

    def __init__(self, entry_id: str, name: str, driver: Driver, *,
                 retry: RetryPolicy | None = None, dead_letter: "Queue | None" = None,
                 max_attempts: int = 0, codec: str = "json/plain",
                 log: logging.Logger | None = None):
        self.id = entry_id
        self.name = name
        self.driver = driver
        self.retry_policy = retry or RetryPolicy()
        self.dead_letter = dead_letter
        self.max_attempts = max_attempts
        self.codec = codec
        self.log = log or logging.getLogger(f"wippy.{entry_id}")
        # Counts read by /metrics at scrape time (wippy/ops/metrics.py). Lua worker
        # threads publish too, so `published` is counted under a lock; the failure-path
        # counts only change on the loop.
        self.published = 0
        self._count_lock = threading.Lock()
        self.retried = 0
        self.dead_lettered = 0

    # -- publishing ---------------------------------------------------------------------

    def publish_nowait(self, body: Any, headers: dict[str, Any] | None = None) -> Message:
        """Any thread; raises QueueFull when there is no room (see Driver rule 2)."""
        message = new_message(body, headers)
        self.driver.publish_nowait(self.name, message)
        self._published()
        return message

    def try_publish(self, message: Message) -> bool:
        """Any thread; False when there is no room (no exception: it is routine under load)."""
        if self.driver.try_publish(self.name, message):
            self._published()
            return True
        return False

    def try_publish_durable(self, message: Message) -> Any:
        """Any thread: False when full, True, or a future done once stored (Driver rule 3)."""
        stored = self.driver.try_publish_durable(self.name, message)
        if stored is not False:   # accepted: stored, or being stored (a failure is logged)
            self._published()
        return stored

    async def publish(self, body: Any, headers: dict[str, Any] | None = None) -> Message:
        """On the loop; waits for room at most the queue's publish bound (docs/decisions.md D12)."""
        message = new_message(body, headers)
        await self.driver.publish(self.name, message)
        self._published()
        return message

    async def publish_message(self, message: Message, deadline: float | None = None) -> None:
        """Wait for room (at most the bound, or until `deadline`: TimeoutError)."""
        await self.driver.publish(self.name, message, deadline)
        self._published()

    def _published(self) -> None:
        with self._count_lock:
            self.published += 1

    # -- consuming ----------------------------------------------------------------------

    async def subscribe(self, prefetch: int, auto_ack: bool = False,
                        options: dict | None = None) -> Subscription:
        return await self.driver.subscribe(self.name, prefetch, auto_ack, options)

    async def ack(self, delivery: Delivery) -> None:
        await self.driver.ack(delivery)

    async def release(self, delivery: Delivery) -> None:
        await self.driver.release(delivery)

    def retries(self, attempts: int, final: bool = False) -> bool:
        """Whether a failed attempt, the `attempts`-th, will be delivered again (after
        backoff): False when it goes to the dead-letter queue or is dropped
        (docs/decisions.md D2, D14)."""
        if final:
            return False
        return self.dead_letter is None or attempts < self.max_attempts

    async def nack(self, delivery: Delivery, error: str | None, final: bool = False) -> None:
        """Count the failed attempt, then dead-letter or retry after backoff (docs/decisions.md D2).

        `final` (the handler's error had `retryable = false`): no retry; the
        message goes to the dead-letter queue now, or without one is dropped
        with an ERROR line naming it."""
        message = delivery.message
        message.attempts += 1
        message.last_error = error
        if final and self.dead_letter is None:
            self.log.error("message dropped: the handler's error is not retryable and the "
                           "queue has no dead_letter", extra={"fields": {
                               "queue": self.id, "message_id": message.id,
                               "attempts": message.attempts, "error": error}})
            await self.driver.ack(delivery)
            return
        if self.dead_letter is not None and (final or message.attempts >= self.max_attempts):
            if await self._dead_letter(message):
                self.dead_lettered += 1
                await self.driver.ack(delivery)
                return
            delay = self.retry_policy.max_delay
        else:
            delay = self.retry_policy.delay(message.attempts)
        self.retried += 1
        await self.driver.retry(delivery, delay)

    async def _dead_letter(self, message: Message) -> bool:
        assert self.dead_letter is not None
        headers = dict(message.headers)
        headers.update(attempts=message.attempts, last_error=message.last_error or "",
                       original_queue=self.id)
        fields = {"queue": self.id, "message_id": message.id, "attempts": message.attempts,
                  "dead_letter": self.dead_letter.id, "error": message.last_error}
        try:
            await self.dead_letter.publish_message(Message(message.id, message.body, headers))
        except WippyError as exc:
            # Never drop it: keep retrying at the longest backoff until the DLQ has room.
            self.log.error("dead-letter publish failed, message kept for retry",
                           extra={"fields": {**fields, "dead_letter_error": exc.message}})
            return False
        # The consumer's ERROR line for the final attempt already names the dead letter
        # queue; this one confirms the move.
        self.log.info("message dead-lettered", extra={"fields": fields})
        return True

    def info(self) -> dict[str, Any]:
        return self.driver.info(self.name)

    def __repr__(self) -> str:
        return f"Queue({self.id}, name={self.name}, driver={self.driver.entry_id})"
