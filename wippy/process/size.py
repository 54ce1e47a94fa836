"""The size of a message: an estimate of the memory its plain data holds.

Mailboxes bound both the number of waiting messages and their bytes, so a process
that sends itself (or another) huge payloads fails with a clear error instead of
growing the runtime without end.
"""
from __future__ import annotations

from typing import Any

from ..errors import INVALID, WippyError

MAX_MESSAGE_BYTES = 1 << 20   # one message
ITEM_COST = 16                # per number, boolean, key or nil: what Lua spends on a slot


def message_size(value: Any, limit: int = MAX_MESSAGE_BYTES) -> int:
    """Estimated bytes of `value`; raises Invalid once it passes `limit`."""
    total = 0
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (str, bytes)):
            total += len(v) + ITEM_COST
        elif isinstance(v, dict):
            total += ITEM_COST * 2 * len(v)
            for k, x in v.items():
                if isinstance(k, str):
                    total += len(k)
                stack.append(x)
        elif isinstance(v, list):
            total += ITEM_COST * len(v)
            stack.extend(v)
        else:
            total += ITEM_COST
        if total > limit:
            raise WippyError(f"message is too large (over {limit // 1024} KiB of data); send "
                             "a reference (a key, a row id) instead of the data", INVALID,
                             retryable=False)
    return total
