"""Routers and endpoints of one service: registration (build time) and app assembly (start).

`http.router` and `http.endpoint` entries register here while the registry is
built, so a duplicate prefix or a route conflict is reported before anything
starts. The service assembles its ASGI app once, at start, from these lists.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ..logs import fields
from . import middleware
from .app import HttpApp, auto_options
from .endpoint import Endpoint
from .gate import Gate
from .patterns import Pattern, PatternError, parse_pattern
from .routes import RouteSpec, compile_routes, find_conflict

log = logging.getLogger("wippy.http")


class RoutingError(ValueError):
    """A router/endpoint that cannot be added; `field` names the config field."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def normalize_prefix(prefix: str) -> str:
    """Trailing `/` trimmed ("/api/" → "/api", "/" → ""); must start with `/` if set."""
    prefix = (prefix or "").strip()
    if prefix and not prefix.startswith("/"):
        raise RoutingError(f"prefix must start with /: {prefix!r}", "prefix")
    return prefix.rstrip("/")


def rewrite_colon_params(path: str) -> str:
    """`/users/:id` → `/users/{id}` (Wippy accepts both)."""
    if ":" not in path:
        return path
    return "/".join("{" + p[1:] + "}" if p.startswith(":") and len(p) > 1 else p
                    for p in path.split("/"))


@dataclass
class RouterDef:
    """A built http.router: its prefix and middleware; endpoints register through it."""
    entry_id: str
    routing: "Routing"
    prefix: str = ""
    middleware: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    post_middleware: list[str] = field(default_factory=list)
    post_options: dict[str, Any] = field(default_factory=dict)

    def add_endpoint(self, entry_id: str, method: str, path: str, func_id: str) -> "EndpointDef":
        return self.routing.add_endpoint(self, entry_id, method, path, func_id)


@dataclass
class EndpointDef:
    """A built http.endpoint: the route it owns and the function it calls."""
    entry_id: str
    router: RouterDef
    method: str
    pattern: Pattern
    func_id: str

    @property
    def route(self) -> str:
        return f"{self.method} {self.pattern.path}"


class Routing:
    """All routers and endpoints of one http.service."""

    def __init__(self, service_id: str):
        self.service_id = service_id
        self.routers: dict[str, RouterDef] = {}          # prefix -> router
        self.specs: list[RouteSpec] = []
        self.endpoints: list[EndpointDef] = []

    def add_router(self, entry_id: str, prefix: str, middleware_names: list[str],
                   options: dict, post_middleware: list[str], post_options: dict) -> RouterDef:
        prefix = normalize_prefix(prefix)
        other = self.routers.get(prefix)
        if other is not None:
            shown = prefix or '""'
            raise RoutingError(f"router prefix already exists: {shown} is also the prefix of "
                               f"{other.entry_id} on {self.service_id}; give each router on "
                               "one server its own prefix", "prefix")
        router = RouterDef(entry_id, self, prefix, list(middleware_names), dict(options or {}),
                           list(post_middleware), dict(post_options or {}))
        self.routers[prefix] = router
        return router

    def add_endpoint(self, router: RouterDef, entry_id: str, method: str, path: str,
                     func_id: str) -> EndpointDef:
        try:
            pattern = parse_pattern(router.prefix + rewrite_colon_params(path))
        except PatternError as exc:
            raise RoutingError(str(exc), "path") from None
        spec = RouteSpec(method, pattern, entry_id, router=router)
        other = find_conflict(spec, self.specs)
        if other is not None:
            raise RoutingError(
                f"route pattern conflicts detected: {method} {pattern.path} and "
                f"{other.method} {other.pattern.path} ({other.owner}) match the same requests "
                "and neither is more specific", "path")
        endpoint = EndpointDef(entry_id, router, method, pattern, func_id)
        self.specs.append(spec)
        self.endpoints.append(endpoint)
        return endpoint

    def remove_endpoint(self, entry_id: str) -> None:
        """Forget an endpoint (a live registry change); the server swaps its table after."""
        keep = [(s, e) for s, e in zip(self.specs, self.endpoints) if e.entry_id != entry_id]
        self.specs, self.endpoints = [s for s, _ in keep], [e for _, e in keep]

    def remove_router(self, entry_id: str) -> None:
        self.routers = {p: r for p, r in self.routers.items() if r.entry_id != entry_id}

    def build_app(self, engine: Any, objects: dict, max_body: int, body_timeout: float,
                  budget: float | None, limit_concurrency: int = 0) -> HttpApp:
        """Assemble the ASGI app: resolve functions, wrap middleware, compile the table."""
        gate = Gate(limit_concurrency)
        for spec, ep in zip(self.specs, self.endpoints):
            fdef = resolve_function(objects, ep.func_id)
            if fdef is None:
                log.error("endpoint function not found; the route will answer 500",
                          extra=fields(endpoint=ep.entry_id, func=ep.func_id, route=ep.route))
            handler: Any = Endpoint(ep.entry_id, ep.func_id, engine, fdef, max_body,
                                    body_timeout, budget, gate)
            router = ep.router
            if router.post_middleware:
                handler = middleware.wrap(handler, router.post_middleware, router.post_options)
            if router.middleware:
                handler = middleware.wrap(handler, router.middleware, router.options)
            spec.handler = handler

        def options_for(path_route: Any, spec: RouteSpec) -> Any:
            handler = auto_options(path_route)
            router = spec.router
            if router.middleware:  # preflight goes through the router middleware (CORS)
                handler = middleware.wrap(handler, router.middleware, router.options)
            return handler

        return HttpApp(compile_routes(self.specs, options_for), gate)


def resolve_function(objects: dict, func_id: str) -> Any:
    """The FunctionDef behind a function entry's built object (the object or its `.fdef`)."""
    obj = objects.get(func_id)
    if obj is None:
        return None
    return getattr(obj, "fdef", obj)
