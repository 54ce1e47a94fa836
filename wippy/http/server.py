"""The http.service: one uvicorn server per entry, started and stopped by the supervisor.

`start()` assembles the app from the registered routers and endpoints, binds
the listener (a bind failure raises, the supervisor retries) and returns once
the socket accepts connections. `stop()` stops accepting, lets in-flight
requests finish within the grace period, then cancels what is left and
closes every remaining connection, so a stalled client cannot hold shutdown.

uvicorn's own signal handling is never used (`Server.serve()` is not called):
signals belong to the CLI.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import socket
import ssl
from dataclasses import dataclass
from typing import Any

import uvicorn

from ..errors import UNAVAILABLE, WippyError
from ..logs import fields
from ..ops.observe import http_observer
from .assembly import Routing
from .edge import (DEFAULT_BODY_IDLE, DEFAULT_MAX_BODY_BUFFER, DEFAULT_MAX_CONNECTIONS,
                   DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_HEADERS, DEFAULT_MAX_URI, Edge)
from .endpoint import DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_BODY
from . import uvicorn_run
from .protocol import protocol_class

log = logging.getLogger("wippy.http")

DEFAULT_IDLE = 75.0              # keep-alive idle limit when neither idle nor read is set
DEFAULT_HEADER_TIMEOUT = 30.0    # request headers must arrive within this (slowloris)
DEFAULT_LIMIT_CONCURRENCY = 1000  # handlers running at once; more → 503 + Retry-After
BACKLOG = 2048


@dataclass
class ServerOptions:
    max_body: int = DEFAULT_MAX_BODY
    limit_concurrency: int = DEFAULT_LIMIT_CONCURRENCY   # 0 = no limit
    max_connections: int = DEFAULT_MAX_CONNECTIONS       # 0 = no limit
    max_body_buffer: int = DEFAULT_MAX_BODY_BUFFER       # 0 = no limit
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    max_headers: int = DEFAULT_MAX_HEADERS
    max_uri: int = DEFAULT_MAX_URI
    read_timeout: float = 0.0        # 0 = none (body reads still end after 5 min)
    write_timeout: float = 0.0       # 0 = none; else it also bounds each handler call
    idle_timeout: float = 0.0
    body_idle_timeout: float = DEFAULT_BODY_IDLE   # longest pause inside a body
    stop_timeout: float = 10.0
    tls_cert: str = ""
    tls_key: str = ""
    tls_client_ca: str = ""
    tls_client_auth: str = ""        # "", "none", "request", "require", ...


def parse_addr(addr: str) -> tuple[str, int]:
    """Go-style listen address: ":8080" (all interfaces), "127.0.0.1:0", "[::1]:8080"."""
    text = str(addr).strip()
    host, sep, port = text.rpartition(":")
    if not sep:
        raise ValueError(f"missing port in address {text!r} (use \":8080\" or \"host:8080\")")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"IPv6 address must be in brackets: {text!r} (e.g. \"[::1]:8080\")")
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"invalid port {port!r} in address {text!r} (a number 0-65535)")
    return host, int(port)


def _listen(family: int, addr: tuple, dualstack: bool = False) -> socket.socket:
    # proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on such sockets, and
    # without it every response pays a 40 ms Nagle/delayed-ACK stall.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if dualstack else 1)
        sock.bind(addr)
        sock.listen(BACKLOG)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; "" means every interface (IPv6 dual-stack when available)."""
    if not host and socket.has_dualstack_ipv6():
        try:
            return _listen(socket.AF_INET6, ("::", port), dualstack=True)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise
            # IPv6 disabled on this host: fall back to IPv4 below
    infos = socket.getaddrinfo(host or "0.0.0.0", port, type=socket.SOCK_STREAM,
                               proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE)
    family, _, _, _, sockaddr = infos[0]
    return _listen(family, sockaddr)


class HttpServer:
    """Service object of one http.service entry (what `ctx.objects[id]` holds)."""

    def __init__(self, entry_id: str, addr: str, engine: Any, objects: dict,
                 options: ServerOptions | None = None):
        self.entry_id = entry_id
        self.addr = addr
        self.host, self.port = parse_addr(addr)
        self.engine = engine
        self.objects = objects
        self.options = options or ServerOptions()
        self.routing = Routing(entry_id)
        self.bound: tuple[str, int] | None = None     # actual address once listening
        self._server: uvicorn.Server | None = None
        self.app: Any = None                # the running server's ASGI app (HttpApp)
        self.edge: Edge | None = None       # the running server's limits and counters
        self._ticker: asyncio.Task | None = None

    @property
    def url(self) -> str:
        """Base URL for clients on this machine (tests, logs)."""
        if self.bound is None:
            raise RuntimeError(f"{self.entry_id} is not listening")
        host = self.bound[0]
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        scheme = "https" if self.options.tls_cert else "http"
        return f"{scheme}://{host}:{self.bound[1]}"

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self._server is not None:
            return
        opts = self.options
        budget = opts.write_timeout or None
        app = self.routing.build_app(self.engine, self.objects, opts.max_body,
                                     opts.read_timeout or DEFAULT_BODY_TIMEOUT, budget,
                                     opts.limit_concurrency)
        try:
            sock = bind(self.host, self.port)
        except OSError as exc:
            # Not retryable: at boot a busy port most likely means another `wippy run` of
            # the same project, which waiting will not change, so the boot stops with this
            # line (supervisor.py). Restarts after boot still follow the restart policy.
            hint = ("; another process is listening there: stop it or choose another "
                    f"`addr` (wippy run -o {self.entry_id}:addr=HOST:PORT)"
                    if exc.errno == errno.EADDRINUSE else "")
            raise WippyError(f"{self.entry_id}: cannot listen on {self.addr}: "
                             f"{exc.strerror or exc}{hint}", UNAVAILABLE,
                             retryable=False) from None
        self._server, self._ticker = await uvicorn_run.start_on(
            self._config(app), sock, f"{self.entry_id} ticker")
        self.app = app
        self.bound = sock.getsockname()[:2]
        routes = len(self.routing.endpoints)
        log.info("http server listening",
                 extra=fields(service=self.entry_id, url=self.url, routes=routes))

    def reroute(self) -> None:
        """Serve the current routers and endpoints (a live registry change,
        wippy/runtime_apply.py) without closing the listener: requests already running
        finish on the handler they started with."""
        if self.app is None:
            return   # not running: start() assembles the table
        opts = self.options
        app = self.routing.build_app(self.engine, self.objects, opts.max_body,
                                     opts.read_timeout or DEFAULT_BODY_TIMEOUT,
                                     opts.write_timeout or None, opts.limit_concurrency)
        self.app.table, self.app.gate = app.table, app.gate
        log.info("http routes updated", extra=fields(service=self.entry_id,
                                                     routes=len(self.routing.endpoints)))

    def _config(self, app: Any) -> uvicorn.Config:
        opts = self.options
        idle = opts.idle_timeout or opts.read_timeout or DEFAULT_IDLE
        observer = http_observer(self.entry_id)    # metrics and access log, or None
        app.observed = observer is not None and observer.series is not None
        self.edge = Edge(
            header_timeout=opts.read_timeout or DEFAULT_HEADER_TIMEOUT,
            body_idle=opts.body_idle_timeout or DEFAULT_BODY_IDLE,
            max_connections=opts.max_connections, max_body_buffer=opts.max_body_buffer,
            max_header_bytes=opts.max_header_bytes, max_headers=opts.max_headers,
            max_uri=opts.max_uri, observer=observer)
        tls: dict[str, Any] = {}
        if opts.tls_cert:
            tls = {"ssl_certfile": opts.tls_cert, "ssl_keyfile": opts.tls_key or None}
            if opts.tls_client_ca:
                tls["ssl_ca_certs"] = opts.tls_client_ca
                tls["ssl_cert_reqs"] = (ssl.CERT_OPTIONAL
                                        if opts.tls_client_auth in ("request", "verify_if_given")
                                        else ssl.CERT_REQUIRED)
        return uvicorn.Config(
            app, http=protocol_class(self.edge), ws="none", lifespan="off",
            interface="asgi3", log_config=None, access_log=False, server_header=False,
            proxy_headers=False,   # no X-Forwarded-* trust (and no extra layer per request)
            date_header=True, timeout_keep_alive=idle,
            timeout_graceful_shutdown=self.grace_period(), **tls)

    def grace_period(self) -> float:
        """How long in-flight requests may finish during stop (inside stop_timeout)."""
        return max(0.2, self.options.stop_timeout * 0.8 - 0.3)

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        ticker, self._ticker = self._ticker, None
        if not await uvicorn_run.stop(server, ticker, self.grace_period() + 1.0):
            log.warning("http shutdown did not finish in time; closing connections",
                        extra=fields(service=self.entry_id))
        self.bound = None
        log.info("http server stopped", extra=fields(service=self.entry_id))
