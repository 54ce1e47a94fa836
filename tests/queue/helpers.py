"""Small async helpers for queue tests: poll with a deadline, never sleep for a fixed time."""
from __future__ import annotations

from tests.polling import wait_until

__all__ = ["wait_until", "max_overlap"]


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """Largest number of [start, end) intervals open at one instant."""
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals],
                    key=lambda ev: (ev[0], ev[1]))
    best = cur = 0
    for _, step in events:
        cur += step
        best = max(best, cur)
    return best
