"""A queued message and one delivery of it to a consumer."""
from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..common.ids import uuid4
from .errors import already_settled, released

ACK = "ack"
NACK = "nack"

_tokens = itertools.count(1)  # next() is atomic under the GIL


@dataclass(slots=True)
class Message:
    """What travels through a queue. `body` is plain Python data (never a Lua object).

    `attempts` and `last_error` travel with the message (docs/decisions.md D2): a driver that
    stores messages must store them too, so that the count survives redelivery.
    """
    id: str
    body: Any
    headers: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0              # failed attempts so far
    last_error: str | None = None


def new_message(body: Any, headers: dict[str, Any] | None = None) -> Message:
    """A fresh message: uuid v4 id and the `timestamp` header (Unix seconds)."""
    hdrs = dict(headers) if headers else {}
    hdrs["timestamp"] = int(time.time())
    return Message(uuid4(), body, hdrs)


class Delivery:
    """One hand-over of a message to a consumer.

    Settlement is single-shot: the first `settle()` wins (an explicit
    `msg:ack()` from Lua, or the consumer's decision after the handler), later
    ones get `queue.Message already settled`. The consumer applies the winning
    decision to the driver once the handler has returned. After that the
    delivery is `released` and Lua code holding the message gets
    `queue.Message released`. `settle()` may run on a Lua worker thread, so it
    takes a lock.

    `receipt` is the driver's own handle (a lease id, a delivery tag, ...).
    `token` identifies this delivery to Lua without handing it a Python object.
    """
    __slots__ = ("message", "receipt", "token", "settlement", "error", "released", "_lock")

    def __init__(self, message: Message, receipt: Any = None):
        self.message = message
        self.receipt = receipt
        self.token = next(_tokens)
        self.settlement: str | None = None
        self.error: str | None = None
        self.released = False
        self._lock = threading.Lock()

    @property
    def attempt(self) -> int:
        """1-based number of the attempt this delivery is."""
        return self.message.attempts + 1

    def check_usable(self) -> None:
        if self.released:
            raise released()

    def settle(self, decision: str, error: str | None = None) -> None:
        """Record ack/nack once; raises `already settled` / `released` otherwise."""
        with self._lock:
            if self.released:
                raise released()
            if self.settlement is not None:
                raise already_settled()
            self.settlement = decision
            self.error = error

    def settle_default(self, decision: str, error: str | None = None) -> str:
        """The consumer's decision after the handler: an explicit one stands.

        Marks the delivery released and returns the decision that applies."""
        with self._lock:
            if self.settlement is None:
                self.settlement = decision
                self.error = error
            self.released = True
            return self.settlement

    def __repr__(self) -> str:
        return f"Delivery(id={self.message.id}, attempt={self.attempt}, settlement={self.settlement})"
