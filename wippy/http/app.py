"""The ASGI application of one http.service: route lookup, 404 and 405.

No middleware stack and no per-request allocation beyond what the route
needs: the lookup table, handlers and `Allow` values are built once. The
concurrency limit is the endpoints' (gate.py): it counts handlers, which
start once the request body has arrived.
"""
from __future__ import annotations

from typing import Any

from .gate import Gate
from .types import FAST_PATH
from .responses import send_no_content, send_not_allowed, send_not_found
from .routes import PathRoute, RouteTable


class HttpApp:
    __slots__ = ("table", "gate", "observed")

    def __init__(self, table: RouteTable, gate: Gate | None = None):
        self.table = table
        self.gate = gate or Gate()     # shared with the endpoints; kept here to inspect
        self.observed = False          # the server counts requests by route (metrics)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":  # lifespan is off; websockets are not served
            return
        handler, extra = self.table.resolve(scope["method"], scope["path"], scope.get("raw_path"))
        if handler is not None:
            if self.observed:          # the `endpoint` label: the pattern, not the path
                fast = scope.get(FAST_PATH)
                if fast is not None:
                    fast.route = self.table.labels.get(handler, "")
            return await handler(scope, receive, send, extra)
        if extra is None:
            return await send_not_found(send)
        return await send_not_allowed(send, extra)


def auto_options(route: PathRoute) -> Any:
    """The automatic `OPTIONS` handler of a path: 204 with `Allow`."""
    headers = [(b"allow", route.allow.encode("latin-1"))]

    async def options(scope: dict, receive: Any, send: Any, params: dict) -> None:
        await send_no_content(send, headers)
    return options
