"""`limit_concurrency`: how many handlers of one http.service run at once.

A request counts from when its handler starts, once its body has fully
arrived, to the end of its handler and response. A client still sending its
body holds a connection (bounded by `max_connections`, the body idle timeout
and `max_body_buffer`, edge.py), never a slot, so slow uploads cannot refuse
everyone else. One more handler than the limit → 503 with `Retry-After` at
once: a flood gets a fast refusal instead of a growing backlog and timeouts.
"""
from __future__ import annotations

import logging
from typing import Any

from ..logs import fields
from .responses import new_request_id, send_error

log = logging.getLogger("wippy.http")
RETRY_AFTER = 1   # seconds a refused client is asked to wait


class Gate:
    """The handlers running now against the limit. Endpoints check it inline:
    `if gate.limit and gate.active >= gate.limit` → `refuse`, else `active += 1`
    and `leave()` afterwards."""

    __slots__ = ("limit", "active", "saturated")

    def __init__(self, limit: int = 0):
        self.limit = limit          # 0 = no limit
        self.active = 0             # handlers running now
        self.saturated = False      # logged once per overload episode, not per refusal

    def leave(self) -> None:
        self.active -= 1
        if self.saturated and self.active < self.limit:
            self.saturated = False

    async def refuse(self, send: Any) -> None:
        rid = new_request_id()
        if not self.saturated:
            self.saturated = True
            log.warning("concurrency limit reached; answering 503 until requests finish",
                        extra=fields(limit=self.limit, request_id=rid))
        await send_error(send, 503, "overloaded", "server busy, retry later", rid,
                         close=True, retry_after=RETRY_AFTER)
