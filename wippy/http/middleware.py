"""Router middleware by name: which exist, their options, and wrapping a handler.

Wippy's router lists middleware by name (`middleware: [cors]`) with options
in a flat map (`options: {cors.allow.origins: "..."}`). Only the names below
are implemented; any other name is a configuration error that lists them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from . import cors


@dataclass(frozen=True)
class MiddlewareKind:
    wrap: Callable[[Any, dict], Any]        # (handler, options) -> handler
    option_ok: Callable[[str], bool]        # is this options key one of ours?
    options: tuple[str, ...]                # documented keys, for error messages


SUPPORTED: dict[str, MiddlewareKind] = {
    "cors": MiddlewareKind(lambda h, o: cors.CorsMiddleware(h, cors.CorsPolicy(o)),
                           cors.known_option, tuple(cors.OPTION_KEYS)),
}

# Names the Go runtime has that we do not (yet): say so instead of "unknown".
NOT_YET = ("compress", "ratelimit", "real_ip", "metrics", "sendfile", "endpoint_firewall",
           "resource_firewall", "websocket_relay", "sse_relay", "token_auth")


def check(names: list[str], options: dict[str, Any], field: str) -> list[tuple[str, str]]:
    """Problems with a middleware list and its options, as (field, message) pairs."""
    problems = []
    supported = ", ".join(sorted(SUPPORTED))
    for i, name in enumerate(names):
        if name in SUPPORTED:
            continue
        what = "is not supported yet" if name in NOT_YET else "is unknown"
        problems.append((f"{field}[{i}]", f"middleware {name!r} {what}; supported: {supported}"))
    opt_field = "options" if field == "middleware" else "post_options"
    active = [SUPPORTED[n] for n in names if n in SUPPORTED]
    for key, value in (options or {}).items():
        key = str(key)
        if not any(kind.option_ok(key) for kind in active):
            owner = key.split(".", 1)[0]
            if owner in SUPPORTED and owner not in names:
                problems.append((f"{opt_field}.{key}", f"option for middleware {owner!r}, which is "
                                f"not listed in {field}"))
            else:
                known = sorted(k for kind in active for k in kind.options)
                problems.append((f"{opt_field}.{key}", f"unknown option; known: "
                                f"{', '.join(known) or '(no middleware configured)'}"))
        elif isinstance(value, dict):
            problems.append((f"{opt_field}.{key}", f"must be a string"))
    return problems


def wrap(handler: Any, names: list[str], options: dict[str, Any]) -> Any:
    """Apply middleware so that the first listed runs first."""
    for name in reversed(names):
        handler = SUPPORTED[name].wrap(handler, options or {})
    return handler
