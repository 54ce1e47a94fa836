"""Run a Lua snippet as the body of `main` through the real engine."""
from __future__ import annotations

import asyncio
from typing import Any

from tests.lua_helpers import run_lua
from wippy.lua.call import CallResult

ALL = ("json", "uuid", "time", "logger")


def lua(body: str, modules: tuple | list = ALL, args: Any = (),
        entry_id: str = "test:fn") -> CallResult:
    """`body` becomes `function main(...)`; line 1 of `body` is line 2 of the chunk."""
    source = "return {main = function(...)\n" + body + "\nend}"
    return asyncio.run(run_lua(source, modules=list(modules), args=args, entry_id=entry_id))


def values(body: str, **kw: Any) -> list:
    """Run and return the values, failing the test with the error if the call raised."""
    result = lua(body, **kw)
    assert not result.raised, result.error
    return result.values
