"""Run Lua snippets through the real engine in tests."""
from __future__ import annotations

from typing import Any

from wippy.lua.call import CallResult
from wippy.lua.engine import LuaEngine


async def run_lua(source: str, method: str = "main", modules: list[str] | tuple = (),
                  args: Any = (), objects: dict | None = None, http: Any = None,
                  delivery: Any = None, budget: float | None = None,
                  engine: LuaEngine | None = None, entry_id: str = "test:fn") -> CallResult:
    """Define `source` as a function entry and call `method` once.

    Pass `engine` to reuse a started engine; otherwise one is started and closed.
    """
    own = engine is None
    if own:
        engine = LuaEngine(objects if objects is not None else {}, workers=1)
        await engine.start()
    try:
        fdef = engine.define(entry_id, source, method, list(modules))
        return await engine.call(fdef, args, http=http, delivery=delivery, budget=budget)
    finally:
        if own:
            await engine.close()
