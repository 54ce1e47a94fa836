"""The route table of one HTTP service: registration with conflict checks, and lookup.

Registration happens while entries are built (a conflict is a config error
there); the lookup structure is compiled once when the service starts:

* static paths (no wildcard) sit in a dict: one lookup per request;
* patterns with wildcards are tried most-specific first.

Each compiled path carries its handlers by method, with `HEAD` served by
`GET` and an automatic `OPTIONS` (204) unless the user registered those, and
its `Allow` header value, so a 405 costs nothing to build.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable
from urllib.parse import unquote_to_bytes

from .patterns import (DISJOINT, EQUIVALENT, MORE_GENERAL, MORE_SPECIFIC, OVERLAPS, LIT,
                       Pattern, combine, relation)

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE")

# handler(scope, receive, send, params)
Handler = Callable[[dict, Any, Any, dict], Awaitable[None]]

NO_PARAMS: dict[str, str] = {}      # shared, never mutated


@dataclass
class RouteSpec:
    """One registered endpoint: method + full pattern (router prefix included)."""
    method: str
    pattern: Pattern
    owner: str                      # endpoint entry id, for error messages
    handler: Any = None             # filled at assembly time
    router: Any = None              # the RouterDef, for its middleware


def _method_relation(m1: str, m2: str) -> int:
    if m1 == m2:
        return EQUIVALENT
    if m1 == "GET" and m2 == "HEAD":
        return MORE_GENERAL          # a GET pattern also serves HEAD
    if m1 == "HEAD" and m2 == "GET":
        return MORE_SPECIFIC
    return DISJOINT


def find_conflict(spec: RouteSpec, existing: list[RouteSpec]) -> RouteSpec | None:
    """The first registered route that `spec` conflicts with (Go's rule), if any."""
    for other in existing:
        mrel = _method_relation(spec.method, other.method)
        if mrel == DISJOINT:
            continue
        rel = combine(mrel, relation(spec.pattern, other.pattern))
        if rel in (EQUIVALENT, OVERLAPS):
            return other
    return None


class PathRoute:
    """One pattern with its handlers by method (compiled)."""
    __slots__ = ("pattern", "handlers", "allow", "methods")

    def __init__(self, pattern: Pattern):
        self.pattern = pattern
        self.handlers: dict[str, Handler] = {}
        self.allow = ""
        self.methods: frozenset[str] = frozenset()

    def seal(self, auto_options: Callable[["PathRoute"], Handler] | None) -> None:
        """Add HEAD (from GET) and OPTIONS (automatic 204), then fix `Allow`."""
        if "GET" in self.handlers and "HEAD" not in self.handlers:
            self.handlers["HEAD"] = self.handlers["GET"]
        methods = set(self.handlers) | {"OPTIONS"}
        self.methods = frozenset(methods)
        self.allow = ", ".join(sorted(methods))
        if "OPTIONS" not in self.handlers and auto_options is not None:
            self.handlers["OPTIONS"] = auto_options(self)


class RouteTable:
    """Compiled lookup: `resolve(method, path)`."""

    def __init__(self, routes: list[PathRoute]):
        self.static: dict[str, PathRoute] = {}
        dynamic = []
        for r in routes:
            if r.pattern.static:
                self.static[_static_path(r.pattern)] = r
            else:
                dynamic.append(r)
        dynamic.sort(key=lambda r: r.pattern.sort_key())
        self.dynamic: tuple[PathRoute, ...] = tuple(dynamic)
        # handler -> its route pattern: the label of a request in the metrics
        self.labels: dict[Handler, str] = {h: r.pattern.path for r in routes
                                           for h in r.handlers.values()}

    def resolve(self, method: str, path: str, raw_path: bytes | None = None
                ) -> tuple[Handler | None, Any]:
        """(handler, params) on a match; (None, allow-header-or-None) otherwise.

        `path` is the decoded path; `raw_path` (if given) splits segments before
        decoding, so `%2F` inside a segment stays part of that segment's value.
        """
        node = self.static.get(path)
        if node is not None:
            h = node.handlers.get(method)
            if h is not None:
                return h, NO_PARAMS
        if not self.dynamic:
            return None, (node.allow if node is not None else None)
        if raw_path is not None and b"%" in raw_path:
            parts = [unquote_to_bytes(p).decode("utf-8", "replace")
                     for p in raw_path[1:].split(b"/")]
        else:
            parts = path[1:].split("/")
        allowed: set[str] | None = set(node.methods) if node is not None else None
        for r in self.dynamic:
            params = r.pattern.match(parts)
            if params is None:
                continue
            h = r.handlers.get(method)
            if h is not None:
                return h, params
            allowed = (allowed or set()) | r.methods
        if allowed is None:
            return None, None
        return None, ", ".join(sorted(allowed))


def _static_path(p: Pattern) -> str:
    return "/" + "/".join(s.text for s in p.segments if s.kind == LIT)


def compile_routes(specs: list[RouteSpec],
                   auto_options: Callable[[PathRoute, RouteSpec], Handler] | None) -> RouteTable:
    """Group registered routes by pattern and build the lookup table."""
    by_path: dict[str, PathRoute] = {}
    first_spec: dict[str, RouteSpec] = {}
    for spec in specs:
        node = by_path.get(spec.pattern.path)
        if node is None:
            node = by_path[spec.pattern.path] = PathRoute(spec.pattern)
            first_spec[spec.pattern.path] = spec
        node.handlers[spec.method] = spec.handler
    for key, node in by_path.items():
        spec = first_spec[key]
        node.seal((lambda n, s=spec: auto_options(n, s)) if auto_options else None)
    return RouteTable(list(by_path.values()))


__all__ = ["METHODS", "NO_PARAMS", "RouteSpec", "PathRoute", "RouteTable", "compile_routes",
           "find_conflict", "Handler"]
