"""`queue.consumer` (docs/kinds/queue.md; docs/decisions.md: D1)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..registry.config import Lifecycle, spec
from ..registry.entry import Entry
from ..queue import Consumer, Queue, lua_invoker
from .base import BuildContext, Kind

MAX_CONCURRENCY = 1000
MAX_PREFETCH = 10000


@dataclass
class ConsumerConfig:
    queue: str = spec("", ref="queue.queue")
    func: str = spec("", ref="function.")
    concurrency: int = spec(1, doc="<= 0 means 1; at most 1000")
    prefetch: int = spec(10, doc="<= 0 means 10; at most 10000")
    auto_ack: bool = spec(False, doc="passed to the driver; the memory driver ignores it")
    driver_options: dict[str, Any] = spec(default_factory=dict)
    lifecycle: Lifecycle = spec(default_factory=Lifecycle)


class ConsumerKind(Kind):
    name = "queue.consumer"
    config = ConsumerConfig
    summary = "Feeds a queue's messages to a function, `concurrency` at a time."

    def validate(self, entry: Entry, cfg: ConsumerConfig) -> list[tuple[str, str]]:
        problems = []
        if not cfg.queue:
            problems.append(("queue", "queue ID is required"))
        if not cfg.func:
            problems.append(("func", "function ID is required"))
        if cfg.concurrency > MAX_CONCURRENCY:
            problems.append(("concurrency", f"concurrency {cfg.concurrency} exceeds maximum "
                            f"{MAX_CONCURRENCY}"))
        if cfg.prefetch > MAX_PREFETCH:
            problems.append(("prefetch", f"prefetch {cfg.prefetch} exceeds maximum {MAX_PREFETCH}"))
        return problems

    def build(self, entry: Entry, cfg: ConsumerConfig, ctx: BuildContext) -> Consumer:
        queue = ctx.get(cfg.queue, Queue)
        fdef = ctx.get(cfg.func)
        return Consumer(
            entry.id, queue, lua_invoker(ctx.lua, fdef), func_id=cfg.func,
            concurrency=cfg.concurrency, prefetch=cfg.prefetch, auto_ack=cfg.auto_ack,
            driver_options=cfg.driver_options.get(queue.driver.short_name),
            stop_timeout=cfg.lifecycle.stop_timeout, log=ctx.logger(entry.id))


KINDS: list[Kind] = [ConsumerKind()]
