"""A process's mailbox: bounded for messages, never for lifecycle events.

Messages wait here until the process's Lua side asks for them (`channel.wait`, when
all its coroutines are blocked). At most `capacity` messages wait; a send to a full
mailbox fails at once with a retryable `Unavailable` error (the sender decides: retry,
drop, slow down), so a flood costs the receiver bounded memory. Events (EXIT,
LINK_DOWN, CANCEL) always get in: there is at most one per link, monitor or cancel.
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from ..errors import UNAVAILABLE, WippyError

DEFAULT_CAPACITY = 1024


class MailboxFull(WippyError):
    pass


class Mailbox:
    __slots__ = ("capacity", "_messages", "_events", "_waiter", "owner")

    def __init__(self, owner: str, capacity: int = DEFAULT_CAPACITY):
        self.owner = owner
        self.capacity = capacity
        self._messages: deque = deque()
        self._events: deque = deque()
        self._waiter: asyncio.Future | None = None

    def __len__(self) -> int:
        return len(self._messages)

    def put(self, item: list) -> None:
        """A message as ["m", topic, from, payload]."""
        if len(self._messages) >= self.capacity:
            raise MailboxFull(f"mailbox of {self.owner} is full ({self.capacity} messages "
                              "waiting); the receiver is not keeping up, retry later",
                              UNAVAILABLE, retryable=True)
        self._messages.append(item)
        self._wake()

    def put_event(self, event: dict) -> None:
        self._events.append(["e", event])
        self._wake()

    def _wake(self) -> None:
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    def _drain(self, room: int) -> list:
        out = list(self._events)
        self._events.clear()
        msgs = self._messages
        for _ in range(min(room, len(msgs))):
            out.append(msgs.popleft())
        return out

    async def take(self, room: int, timeout: float | None, deadline: float) -> list[Any]:
        """What waits (events first, then up to `room` messages); if nothing does,
        wait for something or `timeout` seconds (None: forever, up to `deadline`)."""
        if self._events or (room and self._messages):
            return self._drain(room)
        loop = asyncio.get_running_loop()
        end = deadline if timeout is None else min(deadline, loop.time() + timeout)
        fut = self._waiter = loop.create_future()
        handle = loop.call_at(end, _expire, fut)
        try:
            await fut
        finally:
            handle.cancel()
            self._waiter = None
        if loop.time() >= deadline and not self._events:
            raise asyncio.TimeoutError
        return self._drain(room)


def _expire(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(None)
