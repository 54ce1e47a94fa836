"""The operations listener with the ops page: uvicorn serving app.py's Starlette app on
`prometheus.address`, in place of the plain listener (listener.py), which needs no HTTP
framework for three GET paths but cannot take a replay POST.

Run like every http.service here (wippy/http/uvicorn_run.py): our own socket, uvicorn's
startup and main loop, never `Server.serve()`, whose signal handlers would take the
CLI's."""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
from typing import Any

import uvicorn

from ...errors import ConfigError
from ...http import uvicorn_run
from ...http.server import bind
from ...logs import fields
from ..listener import OpsListener, split_address
from .app import OpsPage
from .handler_errors import HandlerErrors

log = logging.getLogger("wippy.ops")
STOP_GRACE = 2.0     # seconds page requests in flight may take to finish at stop


def loopback_address(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False     # a host name other than localhost: it may resolve anywhere


def check_settings(settings: Any) -> None:
    """The page needs the listener, and a loopback address unless allowed elsewhere."""
    if not settings.prometheus_enabled:
        raise ConfigError("ops.enabled: the ops page is served on the prometheus listener; "
                          "set prometheus.enabled: true in .wippy.yaml (prometheus.address "
                          "chooses where)")
    host, _ = split_address(settings.prometheus_address)
    if not settings.ops_allow_remote and not loopback_address(host):
        raise ConfigError(f"ops.enabled: prometheus.address {settings.prometheus_address} is "
                          "not a loopback address, and the ops page can replay messages; "
                          "listen on 127.0.0.1, or set ops.allow_remote: true in "
                          ".wippy.yaml to serve the page there (put access control in front "
                          "of it)")


class PageListener:
    """Same interface as OpsListener (start, port, close)."""

    def __init__(self, ops: OpsListener, runtime: Any, allow_remote: bool = False):
        self.errors = HandlerErrors()
        self.page = OpsPage(ops, runtime, self.errors, allow_remote, secrets.token_urlsafe(32))
        self._server: uvicorn.Server | None = None
        self._main: asyncio.Task | None = None
        self._port = 0

    async def start(self, address: str) -> None:
        host, port = split_address(address)
        sock = bind(host, port)
        config = uvicorn.Config(self.page.app(), ws="none", lifespan="off", log_config=None,
                                access_log=False, server_header=False,
                                timeout_graceful_shutdown=STOP_GRACE)
        self._server, self._main = await uvicorn_run.start_on(config, sock, "ops page ticker")
        bound = sock.getsockname()
        self._port = bound[1]
        self.errors.attach()
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        log.info("metrics, health and ops page listening", extra=fields(
            address=f"{shown}:{bound[1]}", page=f"http://{shown}:{bound[1]}/ops/"))

    @property
    def port(self) -> int:
        return self._port

    async def close(self) -> None:
        self.errors.detach()
        server, self._server = self._server, None
        if server is None:
            return
        main, self._main = self._main, None
        await uvicorn_run.stop(server, main, STOP_GRACE + 1.0)
