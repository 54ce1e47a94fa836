"""Real servers for HTTP tests: a Lua engine with the http module and uvicorn on a free port."""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from wippy.http import HttpServer, ServerOptions
from wippy.http.state import HttpCall
from wippy.lua.engine import LuaEngine
from wippy.lua.modules import MODULES
from wippy.lua.modules.http.module import HttpModule


def modules(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    # MODULES may not list `http` yet; tests always get it.
    return {**MODULES, "http": HttpModule(), **(extra or {})}


def handler(body: str, extra_modules: tuple[str, ...] = ()) -> tuple[str, tuple[str, ...]]:
    """A handler source around `body` (Lua statements with `http`, `req`, `res` in scope)."""
    src = ("local http = require('http')\n"
           "local function handler()\n"
           "  local req, req_err = http.request()\n"
           "  local res, res_err = http.response()\n"
           f"{body}\n"
           "end\n"
           "return { handler = handler }\n")
    return src, ("http",) + tuple(extra_modules)


@asynccontextmanager
async def serving(routes: list[tuple[str, str, Any]], *, options: ServerOptions | None = None,
                  middleware: list[str] | None = None, router_options: dict | None = None,
                  prefix: str = "", workers: int = 2,
                  extra_modules: dict[str, Any] | None = None) -> AsyncIterator[HttpServer]:
    """Serve `routes` = [(method, path, handler-source-or-(src, modules)-or-None)]."""
    objects: dict[str, Any] = {}
    engine = LuaEngine(objects, modules=modules(extra_modules), workers=workers)
    await engine.start()
    server = HttpServer("test:gw", "127.0.0.1:0", engine, objects,
                        options or ServerOptions(stop_timeout=2.0))
    router = server.routing.add_router("test:router", prefix, middleware or [],
                                       router_options or {}, [], {})
    try:
        for i, (method, path, source) in enumerate(routes):
            fid = f"test:fn{i}"
            if source is not None:
                src, mods = source if isinstance(source, tuple) else (source, ("http",))
                objects[fid] = engine.define(fid, src, "handler", list(mods))
            router.add_endpoint(f"test:ep{i}", method, path, fid)
        await server.start()
        try:
            yield server
        finally:
            await server.stop()
    finally:
        await engine.close()


def fake_call(method: str = "GET", path: str = "/", headers: list | None = None,
              query: bytes = b"", body: bytes = b"", params: dict | None = None) -> HttpCall:
    """An HttpCall without a server, for module-level tests (sending is not possible)."""
    scope = {"type": "http", "method": method, "path": path, "query_string": query,
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or [])],
             "client": ("10.0.0.7", 51234), "server": ("127.0.0.1", 8080)}
    return HttpCall(scope, body, params or {}, None, len(body))
