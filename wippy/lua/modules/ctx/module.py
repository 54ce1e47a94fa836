"""The `ctx` Lua module: the context values of the running call (docs/modules/ctx.md).

Values arrive with `funcs.new():with_context({...})` and flow down every nested
funcs call; a call nobody passed values to has an empty context.
"""
from __future__ import annotations

from typing import Any

from ....errors import INVALID, NOT_FOUND, WippyError
from ..base import LuaModule
from ..funcs.module import CONTEXT

LUA = """
return function(host, lib)
    local type, error = type, error
    return {
        get = function(key)
            if type(key) ~= "string" then
                error("bad argument #1 to 'get' (string expected, got " .. type(key) .. ")", 2)
            end
            return host.get(key)
        end,
        all = function() return host.all() end,
    }
end
"""


def get(call: Any, key: str) -> tuple:
    if not key:
        raise WippyError("context key is empty", INVALID, retryable=False)
    values = call.extras.get(CONTEXT) or {}
    if key not in values:
        raise WippyError(f"context key {key!r} not found", NOT_FOUND, retryable=False)
    return call.to_lua(values[key]), None


def all_values(call: Any) -> tuple:
    return call.to_lua(dict(call.extras.get(CONTEXT) or {})), None


class CtxModule(LuaModule):
    name = "ctx"
    effects = ()   # reads only
    lua = LUA

    def host_functions(self) -> dict[str, Any]:
        return {"get": get, "all": all_values}
