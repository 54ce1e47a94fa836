"""The one backoff formula, for service restarts (supervisor) and message retries (queues).

    delay(n) = min(max_delay, initial * factor ** (n - 1)), spread by ±jitter

n is the number of failures so far (1-based). The jitter keeps failing services or
messages from retrying in lockstep.
"""
from __future__ import annotations

import random
from typing import Callable


def backoff(initial: float, factor: float, max_delay: float, jitter: float, failures: int,
            rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after the `failures`-th failure."""
    try:
        base = initial * factor ** max(failures - 1, 0)
    except OverflowError:
        base = max_delay
    base = min(base, max_delay)
    return max(0.0, base * (1 + jitter * (2 * rand() - 1)))
