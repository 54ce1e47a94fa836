"""Running a uvicorn Server on a socket we bound ourselves, without `Server.serve()`,
whose signal handlers would take the CLI's (docs/architecture.md). The http.service
servers (server.py) and the ops page (ops/page/server.py) both run this way; the uvicorn
internals used here are pinned by tests/http/test_uvicorn_pin.py."""
from __future__ import annotations

import asyncio
import socket

import uvicorn


async def start_on(config: uvicorn.Config, sock: socket.socket,
                   name: str) -> tuple[uvicorn.Server, asyncio.Task]:
    """Start serving on `sock`; the task is uvicorn's main loop (the Date header tick and
    the exit check). The socket is closed if the start fails."""
    server = uvicorn.Server(config)
    try:
        config.load()
        server.lifespan = config.lifespan_class(config)
        await server.startup(sockets=[sock])
    except BaseException:
        sock.close()
        raise
    return server, asyncio.get_running_loop().create_task(server.main_loop(), name=name)


async def stop(server: uvicorn.Server, main_loop: asyncio.Task | None, wait: float) -> bool:
    """Stop accepting, give requests in flight up to `wait` seconds (uvicorn's own
    graceful shutdown), then abort what is left. False when the wait ran out."""
    server.should_exit = True
    if main_loop is not None:
        await main_loop
    try:
        await asyncio.wait_for(server.shutdown(), wait)
        return True
    except (asyncio.TimeoutError, TimeoutError):
        return False
    finally:
        for conn in list(server.server_state.connections):
            transport = getattr(conn, "transport", None)
            if transport is not None and not transport.is_closing():
                transport.abort()
        for task in list(server.server_state.tasks):
            task.cancel()
