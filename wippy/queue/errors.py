"""The queue errors callers can tell apart (exact strings follow the Go runtime)."""
from __future__ import annotations

from ..errors import INTERNAL, INVALID, UNAVAILABLE, WippyError


class QueueFull(WippyError):
    """No room in a bounded queue (docs/decisions.md D12): Unavailable, retryable."""

    def __init__(self, queue: str):
        super().__init__("queue full", UNAVAILABLE, retryable=True, details={"queue": queue})


def queue_not_found(queue: str) -> WippyError:
    # Go returns this as Internal; kept for compatibility with Go Wippy.
    return WippyError("queue not found", INTERNAL, retryable=False, details={"queue": queue})


def queue_closed(queue: str) -> WippyError:
    return WippyError("queue is closed", UNAVAILABLE, retryable=True, details={"queue": queue})


def already_settled() -> WippyError:
    return WippyError("queue.Message already settled", INVALID, retryable=False)


def released() -> WippyError:
    return WippyError("queue.Message released", INVALID, retryable=False)
