"""`http.service`, `http.router`, `http.endpoint` (docs/kinds/http.md; docs/decisions.md: D4, D8).

    - name: gateway                 - name: router              - name: list.endpoint
      kind: http.service              kind: http.router           kind: http.endpoint
      addr: ":8080"                   meta: {server: gateway}     meta: {router: router}
      lifecycle: {auto_start: true}   prefix: /api                method: GET
                                                                  path: /tasks/{id}
                                                                  func: list_tasks

Routers and endpoints register with their server while entries are built, so
a duplicate prefix or conflicting routes fail before anything starts; the
server assembles its app once, at start.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..registry.config import Lifecycle, spec
from ..registry.entry import Entry
from ..errors import ConfigError
from ..http import HttpServer, RouterDef, RoutingError, ServerOptions, parse_addr
from ..http import middleware
from ..http.assembly import normalize_prefix, rewrite_colon_params
from ..http.edge import (DEFAULT_BODY_IDLE, DEFAULT_MAX_BODY_BUFFER, DEFAULT_MAX_CONNECTIONS,
                         DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_HEADERS, DEFAULT_MAX_URI)
from ..http.endpoint import DEFAULT_MAX_BODY
from ..http.server import DEFAULT_LIMIT_CONCURRENCY
from ..http.patterns import PatternError, parse_pattern
from ..http.routes import METHODS
from .base import BuildContext, Kind

TLS_MODES = ("", "auto", "manual")
CLIENT_AUTH = ("", "none", "request", "require", "verify_if_given", "require_and_verify")


@dataclass
class Timeouts:
    read: float = spec(0.0, duration=True, min=0, doc="whole request (headers, body); 0 = none")
    write: float = spec(0.0, duration=True, min=0, doc="handler + response; 0 = none")
    idle: float = spec(0.0, duration=True, min=0, doc="keep-alive idle; 0 = read, else 75s")
    body_idle: float = spec(DEFAULT_BODY_IDLE, duration=True, min=0,
                            doc="longest pause between two reads of a request body (408); "
                                "0 = 60s")


@dataclass
class HostOptions:
    """Accepted for compatibility (Go: relay mailbox sizing); unused here."""
    buffer_size: int = spec(1024, min=1)
    worker_count: int = spec(0, min=0)


@dataclass
class TLSConfig:
    mode: str = spec("", choices=TLS_MODES, doc='"" = plain HTTP; "manual" = cert + key files')
    cert: str = ""
    key: str = ""
    client_ca: str = ""
    client_auth: str = spec("", choices=CLIENT_AUTH)
    cert_env: str = ""
    key_env: str = ""
    client_ca_env: str = ""


@dataclass
class ServiceConfig:
    addr: str = spec(required=True, doc='listen address, e.g. ":8080" (all interfaces)')
    timeouts: Timeouts = spec(default_factory=Timeouts)
    host: HostOptions = spec(default_factory=HostOptions)
    tls: TLSConfig = spec(default_factory=TLSConfig)
    network: str = spec("", doc="overlay network entry (not supported)")
    max_body: int = spec(DEFAULT_MAX_BODY, min=1, doc="request body limit in bytes (413 above)")
    limit_concurrency: int = spec(DEFAULT_LIMIT_CONCURRENCY, min=0,
                                  doc="handlers running at once (503 above); 0 = no limit")
    max_connections: int = spec(DEFAULT_MAX_CONNECTIONS, min=0,
                                doc="open connections (503 and close above); 0 = no limit")
    max_body_buffer: int = spec(DEFAULT_MAX_BODY_BUFFER, min=0,
                                doc="bytes of request bodies still arriving, all connections "
                                    "together (503 above); 0 = no limit")
    max_header_bytes: int = spec(DEFAULT_MAX_HEADER_BYTES, min=1,
                                 doc="request line + headers in bytes (431 above)")
    max_headers: int = spec(DEFAULT_MAX_HEADERS, min=1, doc="header lines (431 above)")
    max_uri: int = spec(DEFAULT_MAX_URI, min=1, doc="request target in bytes (414 above)")
    lifecycle: Lifecycle = spec(default_factory=Lifecycle)


class ServiceKind(Kind):
    name = "http.service"
    config = ServiceConfig
    summary = "An HTTP server (uvicorn) serving the endpoints of its routers."

    def validate(self, entry: Entry, cfg: ServiceConfig) -> list[tuple[str, str]]:
        problems = []
        if cfg.addr is not None:
            try:
                parse_addr(cfg.addr)
            except ValueError as exc:
                problems.append(("addr", str(exc)))
        tls = cfg.tls
        if tls.mode == "auto":
            problems.append(('tls.mode', '"auto" (ACME certificates) is not supported yet; '
                            'use mode "manual" with cert and key files'))
        elif tls.mode == "manual":
            if tls.cert_env or tls.key_env or tls.client_ca_env:
                problems.append(("tls", "*_env fields are not supported yet; give cert/key paths"))
            if not tls.cert or not tls.key:
                problems.append(('tls', 'mode "manual" needs both cert and key (PEM file paths)'))
        elif tls.cert or tls.key:
            problems.append(('tls.mode', 'set mode "manual" to use cert and key'))
        if cfg.network:
            problems.append(("network", "overlay networks are not supported yet; remove the field"))
        return problems

    def build(self, entry: Entry, cfg: ServiceConfig, ctx: BuildContext) -> HttpServer:
        tls = cfg.tls if cfg.tls.mode == "manual" else TLSConfig()
        options = ServerOptions(
            max_body=cfg.max_body, limit_concurrency=cfg.limit_concurrency,
            max_connections=cfg.max_connections, max_body_buffer=cfg.max_body_buffer,
            max_header_bytes=cfg.max_header_bytes, max_headers=cfg.max_headers,
            max_uri=cfg.max_uri,
            body_idle_timeout=cfg.timeouts.body_idle or 0.0,
            read_timeout=cfg.timeouts.read or 0.0,
            write_timeout=cfg.timeouts.write or 0.0, idle_timeout=cfg.timeouts.idle or 0.0,
            stop_timeout=cfg.lifecycle.stop_timeout,
            tls_cert=tls.cert, tls_key=tls.key, tls_client_ca=tls.client_ca,
            tls_client_auth=tls.client_auth)
        return HttpServer(entry.id, cfg.addr, ctx.lua, ctx.objects, options)


@dataclass
class RouterConfig:
    server: str = spec(required=True, ref="http.service", meta=True)
    prefix: str = ""
    middleware: list[str] = spec(default_factory=list)
    options: dict[str, Any] = spec(default_factory=dict)
    post_middleware: list[str] = spec(default_factory=list)
    post_options: dict[str, Any] = spec(default_factory=dict)


class RouterKind(Kind):
    name = "http.router"
    config = RouterConfig
    summary = "A group of endpoints on one http.service, with a path prefix and middleware."

    def validate(self, entry: Entry, cfg: RouterConfig) -> list[tuple[str, str]]:
        problems = []
        try:
            normalize_prefix(cfg.prefix)
        except RoutingError as exc:
            problems.append(("prefix", str(exc)))
        problems += middleware.check(cfg.middleware, cfg.options, "middleware")
        problems += middleware.check(cfg.post_middleware, cfg.post_options, "post_middleware")
        return problems

    def build(self, entry: Entry, cfg: RouterConfig, ctx: BuildContext) -> RouterDef:
        server = _lookup(ctx, entry, cfg.server, HttpServer, "meta.server", "http.service")
        try:
            return server.routing.add_router(entry.id, cfg.prefix, cfg.middleware, cfg.options,
                                             cfg.post_middleware, cfg.post_options)
        except RoutingError as exc:
            raise _config_error(entry, exc) from None


@dataclass
class EndpointConfig:
    router: str = spec(required=True, ref="http.router", meta=True)
    method: str = spec(required=True)
    path: str = spec(required=True)
    func: str = spec(required=True, ref="function.")


class EndpointKind(Kind):
    name = "http.endpoint"
    config = EndpointConfig
    summary = "One route (method + path) of a router, answered by a Lua function."

    def validate(self, entry: Entry, cfg: EndpointConfig) -> list[tuple[str, str]]:
        problems = []
        if cfg.method is not None and cfg.method not in METHODS:
            hint = (f" (methods are uppercase: {cfg.method.upper()})"
                    if cfg.method.upper() in METHODS else f"; one of {', '.join(METHODS)}")
            problems.append(("method", f"invalid HTTP method: {cfg.method}{hint}"))
        if cfg.path is not None:
            try:
                parse_pattern(rewrite_colon_params(cfg.path))
            except PatternError as exc:
                problems.append(("path", str(exc)))
        return problems

    def build(self, entry: Entry, cfg: EndpointConfig, ctx: BuildContext) -> Any:
        router = _lookup(ctx, entry, cfg.router, RouterDef, "meta.router", "http.router")
        try:
            return router.add_endpoint(entry.id, cfg.method, cfg.path, cfg.func)
        except RoutingError as exc:
            raise _config_error(entry, exc) from None


def _lookup(ctx: BuildContext, entry: Entry, ref: str, cls: type, field: str, kind: str) -> Any:
    try:
        return ctx.get(ref, cls)
    except LookupError:
        raise ConfigError(f"{ref} is not a built {kind} entry", entry.origin_of(field),
                          entry.id, field) from None


def _config_error(entry: Entry, exc: RoutingError) -> ConfigError:
    field = exc.field or "data"
    return ConfigError(str(exc), entry.origin_of(f"data.{field}"), entry.id, field)


KINDS: list[Kind] = [ServiceKind(), RouterKind(), EndpointKind()]
