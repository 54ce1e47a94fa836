"""A started engine with a process host and process entries, for process tests."""
from __future__ import annotations

import contextlib
from typing import Any

from wippy.lua.engine import LuaEngine
from wippy.process.host import ProcessHost
from wippy.process.node import node_of


@contextlib.asynccontextmanager
async def processes(defs: dict[str, str], modules=("time",), mailbox_size: int = 1024,
                    stop_timeout: float = 2.0, max_processes: int = 100_000,
                    off_loop: tuple[str, ...] = ()):
    """defs: entry id -> Lua source exporting `main`. Yields (engine, host, run) where
    run(source) calls a function entry once. Entries in `off_loop` run on worker threads
    from the start (no 20 ms wall-clock slice on the loop: a test about something else
    then does not depend on how the OS schedules a loaded machine)."""
    objects: dict[str, Any] = {}
    engine = LuaEngine(objects, workers=1)
    await engine.start()
    node = node_of(objects)
    for eid, src in defs.items():
        fdef = engine.define(eid, src, "main", list(modules), budget=365 * 24 * 3600.0,
                             inline=eid not in off_loop)
        objects[eid] = node.defs[eid] = fdef
    host = ProcessHost("app:processes", engine, node, objects, mailbox_size=mailbox_size,
                       stop_timeout=stop_timeout, max_processes=max_processes)
    objects["app:processes"] = host
    await host.start()

    async def run(source: str, budget: float = 5.0, args=()):
        fdef = engine.define("test:fn", source, "main", list(modules))
        return await engine.call(fdef, args, budget=budget)
    try:
        yield engine, host, run
    finally:
        await host.stop()
        await engine.close()
