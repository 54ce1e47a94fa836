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
NO_TIMER = 7 * 24 * 3600.0   # waits ending further away than this arm no timer
MAX_BYTES = 16 << 20         # waiting message data per mailbox (wippy/process/size.py)
# Messages handed to the Lua side per wait. The process handles what it was handed in
# one step (they sit in its channels' buffers); a few thousand at once under load
# outlast the step's 20 ms slice on the loop, and a process stopped after taking
# messages ends with an error. A batch keeps each step short; the rest follow.
TAKE_BATCH = 256


class MailboxFull(WippyError):
    pass


class Mailbox:
    __slots__ = ("capacity", "_messages", "_events", "_waiter", "owner", "bytes")

    def __init__(self, owner: str, capacity: int = DEFAULT_CAPACITY):
        self.owner = owner
        self.capacity = capacity
        self.bytes = 0   # estimated size of the messages waiting here
        # Made on first use: an idle process's mailbox costs no deque (~600 bytes each).
        self._messages: deque | None = None
        self._events: list | None = None
        self._waiter: asyncio.Future | None = None

    def __len__(self) -> int:
        return len(self._messages) if self._messages else 0

    def put(self, item: list, size: int = 0) -> None:
        """A message as ["m", topic, from, payload]; `size` from message_size()."""
        msgs = self._messages
        if msgs is None:
            msgs = self._messages = deque()
        if len(msgs) >= self.capacity:
            raise MailboxFull(f"mailbox of {self.owner} is full ({self.capacity} messages "
                              "waiting); the receiver is not keeping up, retry later",
                              UNAVAILABLE, retryable=True)
        if size and self.bytes + size > MAX_BYTES:
            raise MailboxFull(f"mailbox of {self.owner} holds {self.bytes >> 20} MiB of "
                              "messages (its limit is 16 MiB); the receiver is not keeping up",
                              UNAVAILABLE, retryable=True)
        self.bytes += size
        item.append(size)
        msgs.append(item)
        self._wake()

    def put_event(self, event: dict) -> None:
        if self._events is None:
            self._events = []
        self._events.append(["e", event])
        self._wake()

    def _wake(self) -> None:
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    def _drain(self, room: int, call: Any) -> list:
        out = self._events or []
        self._events = None
        msgs = self._messages
        if msgs:
            for _ in range(min(room, len(msgs), TAKE_BATCH)):
                item = msgs.popleft()
                self.bytes -= item.pop()
                out.append(item)
        if out and call is not None:
            call.effects = True
        return out

    async def take(self, used: int, timeout: float | None, deadline: float,
                   call: Any = None) -> list[Any]:
        """What waits (events first, then messages while fewer than `capacity` are
        unread on the Lua side, `used`); if nothing does, wait for something or
        `timeout` seconds (None: forever, up to `deadline`). Taking marks `call` as
        having effects: a taken message cannot be put back, so a preempted process must
        not be re-run from its start (see LuaEngine.call)."""
        room = max(0, self.capacity - used)
        if self._events or (room and self._messages):
            return self._drain(room, call)
        loop = asyncio.get_running_loop()
        now = loop.time()
        end = deadline if timeout is None else min(deadline, now + timeout)
        fut = self._waiter = loop.create_future()
        # An idle process waits with no timer: its deadline is years away (a process
        # has no call budget unless limits.timeout sets one shorter than NO_TIMER).
        handle = loop.call_at(end, _expire, fut) if end - now < NO_TIMER else None
        try:
            await fut
        finally:
            if handle is not None:
                handle.cancel()
            self._waiter = None
        if loop.time() >= deadline and not self._events:
            raise asyncio.TimeoutError
        return self._drain(room, call)


def _expire(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(None)
