"""Tiny stand-ins for modules the HTTP tests do not exercise (uuid, queue, sql),
so the tutorial's handler files run unmodified in-process, plus a probe."""
from __future__ import annotations

import asyncio
import uuid
from typing import Any

from wippy.lua.modules.base import LuaModule


class Probe(LuaModule):
    """`probe.hit(...)` records its arguments in Python: did the handler run?"""
    name = "probe"
    lua = "return function(host, lib) return {hit = host.hit} end"

    def __init__(self) -> None:
        self.hits: list[tuple] = []

    def host_functions(self) -> dict[str, Any]:
        def hit(call: Any, *args: Any) -> None:
            self.hits.append(tuple(call.from_lua(a) for a in args))
        return {"hit": hit}


class StubUuid(LuaModule):
    name = "uuid"
    lua = "return function(host, lib) return {v4 = host.v4} end"

    def host_functions(self) -> dict[str, Any]:
        return {"v4": lambda call: str(uuid.uuid4())}


class StubQueue(LuaModule):
    """`queue.publish(id, data)` appends (id, plain data) to `published`."""
    name = "queue"
    lua = ("return function(host, lib) return {publish = function(id, data) "
           "return host.publish(id, data) end} end")

    def __init__(self) -> None:
        self.published: list[tuple[str, Any]] = []

    def host_functions(self) -> dict[str, Any]:
        def publish(call: Any, queue_id: str, data: Any) -> bool:
            self.published.append((queue_id, call.from_lua(data)))
            return True
        return {"publish": publish}


class StubSql(LuaModule):
    """Just enough of `sql` for list_tasks.lua: get, builder select … where … query."""
    name = "sql"
    lua = """
return function(host, lib)
    local Q = {}
    Q.__index = Q
    local function chain(self) return self end
    Q.from, Q.order_by, Q.limit = chain, chain, chain
    function Q.where(self, cond) self.cond = cond; return self end
    function Q.run_with(self, db) return self end
    function Q.query(self) return host.rows(self.cond and self.cond.status) end
    local DB = {release = function() end}
    return {
        get = function(id) return setmetatable({}, {__index = DB}), nil end,
        builder = {select = function(...) return setmetatable({}, Q) end},
    }
end
"""

    def __init__(self, rows: list[dict]) -> None:
        self.rows = rows

    def host_functions(self) -> dict[str, Any]:
        def rows(call: Any, status: Any) -> Any:
            found = [r for r in self.rows if status is None or r.get("status") == status]
            return call.to_lua(found)
        return {"rows": rows}


class Latch(LuaModule):
    """`latch.wait()` suspends the handler until the test calls `release()`: a handler
    that holds its `limit_concurrency` slot for as long as the test needs."""
    name = "latch"
    lua = ('return function(host, lib) return {wait = function() '
           'return lib.await("latch.wait") end} end')

    def __init__(self) -> None:
        self.waiting = 0
        self.event: Any = None

    def release(self) -> None:
        self.event.set()

    def async_ops(self) -> dict[str, Any]:
        async def wait(call: Any) -> None:
            if self.event is None:
                self.event = asyncio.Event()
            self.waiting += 1
            try:
                await self.event.wait()
            finally:
                self.waiting -= 1
        return {"latch.wait": wait}
