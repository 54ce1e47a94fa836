"""The event bus behind the Lua `events` module (docs/modules/events.md).

One bus per runtime, kept among the built objects (`bus_of`) like the process node.
A subscription belongs to one process: an event that matches it is put in that
process's mailbox as a message on the subscription's own topic (`@events.<n>`; topics
starting with `@` belong to the runtime, so no user `process.send` can imitate one),
and the process's Lua side routes that topic to the subscription's channel. So a
subscription's channel is fed exactly like `process.listen` channels and works in
`channel.select` with them.

Delivery is best effort, as in Wippy: an event for a process whose mailbox is full
is dropped for that process (counted in `dropped`), and `send` never waits.
Matching follows Wippy's dispatcher: a system (or kind) pattern "" or "*" matches
everything, one ending in "*" matches by prefix ("orders.*" matches "orders.eu" and
"orders.eu.x"), anything else must be equal. Loop thread only.
"""
from __future__ import annotations

import itertools
import logging
from typing import Any

from ....errors import INTERNAL, WippyError
from ....process.mailbox import MailboxFull
from ....process.node import node_of
from ....process.size import message_size

BUS_KEY = "@events.bus"
TOPIC_PREFIX = "@events."
MAX_SUBSCRIPTIONS = 100_000   # a subscribe loop fails here instead of eating the memory

log = logging.getLogger("wippy.events")


def matches(pattern: str, value: str) -> bool:
    if pattern in ("", "*"):
        return True
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return pattern == value


class Subscription:
    __slots__ = ("proc", "system", "kind", "topic")

    def __init__(self, proc: Any, system: str, kind: str, topic: str):
        self.proc, self.system, self.kind, self.topic = proc, system, kind, topic


class EventBus:
    def __init__(self) -> None:
        self.subs: dict[str, Subscription] = {}     # topic -> subscription
        self.by_pid: dict[str, set[str]] = {}       # pid -> its topics
        self.sent = 0
        self.delivered = 0
        self.dropped = 0
        self._ids = itertools.count(1)

    def subscribe(self, proc: Any, system: str, kind: str = "") -> str:
        if len(self.subs) >= MAX_SUBSCRIPTIONS:
            raise WippyError(f"the event bus already has {MAX_SUBSCRIPTIONS} subscriptions "
                             "(its limit); close subscriptions you no longer read",
                             INTERNAL, retryable=False)
        topic = f"{TOPIC_PREFIX}{next(self._ids)}"
        self.subs[topic] = Subscription(proc, system, kind, topic)
        self.by_pid.setdefault(proc.pid, set()).add(topic)
        return topic

    def unsubscribe(self, topic: str) -> bool:
        sub = self.subs.pop(topic, None)
        if sub is None:
            return False
        topics = self.by_pid.get(sub.proc.pid)
        if topics is not None:
            topics.discard(topic)
            if not topics:
                del self.by_pid[sub.proc.pid]
        return True

    def forget(self, proc: Any) -> None:
        """A process ended: its subscriptions end with it."""
        for topic in self.by_pid.pop(proc.pid, ()):
            self.subs.pop(topic, None)

    def send(self, system: str, kind: str, path: str, data: Any = None) -> int:
        """Put the event in the mailbox of every matching subscriber; returns how many
        got it. Runtime code may call this too (it is what `events.send` does)."""
        self.sent += 1
        payload: dict[str, Any] = {"system": system, "kind": kind, "path": path}
        if data is not None:
            payload["data"] = data
        size = 0
        got = 0
        for sub in list(self.subs.values()):
            if not matches(sub.system, system):
                continue
            if sub.kind and not matches(sub.kind, kind):
                continue
            if sub.proc.result is not None:   # ended; forget() runs at its exit
                continue
            if not size:
                size = message_size(payload)
            try:
                sub.proc.mailbox.put(["m", sub.topic, None, payload], size)
            except MailboxFull:
                self.dropped += 1
                log.debug("event %s/%s dropped for %s: mailbox full", system, kind,
                          sub.proc.pid)
                continue
            got += 1
        self.delivered += got
        return got


def bus_of(objects: dict) -> EventBus:
    bus = objects.get(BUS_KEY)
    if bus is None:
        bus = objects[BUS_KEY] = EventBus()
        node_of(objects).exit_hooks.append(bus.forget)
    return bus
