"""The ASGI application of one http.service: route lookup, 404 and 405, and the
concurrency limit.

No middleware stack and no per-request allocation beyond what the route
needs: the lookup table, handlers and `Allow` values are built once.

`limit` bounds the requests being handled at once (body read, handler,
response). One more is answered 503 with `Retry-After` at once, so a flood
gets a fast refusal instead of a growing backlog and timeouts.
"""
from __future__ import annotations

import logging
from typing import Any

from ..logs import fields
from .responses import new_request_id, send_error, send_no_content, send_not_allowed, send_not_found
from .routes import PathRoute, RouteTable

log = logging.getLogger("wippy.http")
RETRY_AFTER = 1   # seconds a refused client is asked to wait


class HttpApp:
    __slots__ = ("table", "limit", "active", "saturated")

    def __init__(self, table: RouteTable, limit: int = 0):
        self.table = table
        self.limit = limit          # 0 = no limit
        self.active = 0             # requests being handled now
        self.saturated = False      # logged once per overload episode, not per refusal

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":  # lifespan is off; websockets are not served
            return
        handler, extra = self.table.resolve(scope["method"], scope["path"], scope.get("raw_path"))
        if handler is not None:
            if self.limit and self.active >= self.limit:
                return await self._refuse(send)
            self.active += 1
            try:
                return await handler(scope, receive, send, extra)
            finally:
                self.active -= 1
                if self.saturated and self.active < self.limit:
                    self.saturated = False
        if extra is None:
            return await send_not_found(send)
        return await send_not_allowed(send, extra)

    async def _refuse(self, send: Any) -> None:
        rid = new_request_id()
        if not self.saturated:
            self.saturated = True
            log.warning("concurrency limit reached; answering 503 until requests finish",
                        extra=fields(limit=self.limit, request_id=rid))
        await send_error(send, 503, "overloaded", "server busy, retry later", rid,
                         close=True, retry_after=RETRY_AFTER)


def auto_options(route: PathRoute) -> Any:
    """The automatic `OPTIONS` handler of a path: 204 with `Allow`."""
    headers = [(b"allow", route.allow.encode("latin-1"))]

    async def options(scope: dict, receive: Any, send: Any, params: dict) -> None:
        await send_no_content(send, headers)
    return options
