"""Retry backoff and dead-lettering for nacked messages (docs/decisions.md, D2)."""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from ..common.backoff import backoff
from ..registry.config import spec


@dataclass
class RetryPolicy:
    """`retry:` on a queue.queue: when a nacked message becomes ready again.

    The delay is wippy/common/backoff.py's formula, the one service restarts use too.
    """
    initial_delay: float = spec(1.0, duration=True, min=0)
    max_delay: float = spec(60.0, duration=True, min=0)
    factor: float = spec(2.0, min=1.0)
    jitter: float = spec(0.1, min=0, max=1)

    def delay(self, failed_attempts: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after the `failed_attempts`-th failure (1-based)."""
        return backoff(self.initial_delay, self.factor, self.max_delay, self.jitter,
                       max(1, failed_attempts), rand)


@dataclass
class DeadLetter:
    """`dead_letter:` on a queue.queue: where a message goes after max_attempts failures."""
    queue: str = spec(required=True, ref="queue.queue")
    max_attempts: int = spec(3, min=1)
