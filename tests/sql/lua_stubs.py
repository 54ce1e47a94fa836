"""Minimal stand-ins for the modules the tutorial files use besides `sql`.

They let migrate.lua, list_tasks.lua and process_task.lua run unmodified
through the real engine in the SQL tests, without depending on the other
modules' implementations. What a handler "sends" (logs, HTTP responses) is
recorded in `call.extras["out"]`.
"""
from __future__ import annotations

import json
from typing import Any

from wippy.lua.modules.base import LuaModule


def _record(call: Any, kind: str, value: Any) -> None:
    call.extras.setdefault("out", []).append((kind, call.from_lua(value)))


class StubLogger(LuaModule):
    name = "logger"
    lua = """return function(host, lib)
        local M = {}
        for _, level in ipairs({"debug", "info", "warn", "error"}) do
            M[level] = function(self, msg, fields) host.log(level, msg, fields) end
        end
        return M
    end"""

    def host_functions(self):
        return {"log": lambda call, level, msg, fields=None: call.extras.setdefault("out", []).append(
            (level, [msg, call.from_lua(fields)]))}


class StubHttp(LuaModule):
    """http.request()/http.response() backed by call.extras["query"] and a recorder."""
    name = "http"
    lua = """return function(host, lib)
        local M = {STATUS = {OK = 200, ACCEPTED = 202, BAD_REQUEST = 400, INTERNAL_SERVER_ERROR = 500}}
        function M.request()
            return {query = function(self, key) return host.query(key) end}, nil
        end
        function M.response()
            return {
                set_status = function(self, code) host.send("status", code) end,
                write_json = function(self, value) host.send("json", value) end,
            }, nil
        end
        return M
    end"""

    def host_functions(self):
        return {"query": lambda call, key: call.extras.get("query", {}).get(key),
                "send": lambda call, kind, value: _record(call, kind, value)}


class StubQueue(LuaModule):
    name = "queue"
    lua = """return function(host, lib)
        return {message = function() return {id = function() return "m1" end}, nil end}
    end"""


class StubTime(LuaModule):
    name = "time"
    lua = "return function(host, lib) return {sleep = function() end} end"


class StubJson(LuaModule):
    name = "json"
    lua = "return function(host, lib) return {encode = function(v) return host.encode(v) end} end"

    def host_functions(self):
        return {"encode": lambda call, v: json.dumps(call.from_lua(v), sort_keys=True)}


STUBS = {m.name: m for m in (StubLogger(), StubHttp(), StubQueue(), StubTime(), StubJson())}
