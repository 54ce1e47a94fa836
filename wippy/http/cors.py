"""The `cors` router middleware, with the Go runtime's option names and defaults.

Options (router `options:`), all strings:
  cors.allow.origins      "*" (default) or a comma list; "*.example.com" matches subdomains
  cors.allow.methods      "GET,POST,PUT,DELETE,OPTIONS,PATCH"
  cors.allow.headers      "Origin,Content-Type,Accept,Authorization,X-Requested-With"
  cors.expose.headers     ""
  cors.allow.credentials  "false"
  cors.max.age            "86400"
  cors.allow.private.network "false"
Legacy underscore keys (`allow_origins`, ...) are accepted too.

A preflight (OPTIONS with Origin and Access-Control-Request-Method) from an
allowed origin is answered 204 here; other requests from an allowed origin get
`Access-Control-Allow-Origin` (and friends) added to whatever the handler sends.
"""
from __future__ import annotations

from typing import Any

from .types import responses_through_send

OPTION_KEYS = {
    "cors.allow.origins": "allow_origins",
    "cors.allow.methods": "allow_methods",
    "cors.allow.headers": "allow_headers",
    "cors.expose.headers": "expose_headers",
    "cors.allow.credentials": "allow_credentials",
    "cors.max.age": "max_age",
    "cors.allow.private.network": "allow_private_network",
}
DEFAULTS = {
    "cors.allow.origins": "*",
    "cors.allow.methods": "GET,POST,PUT,DELETE,OPTIONS,PATCH",
    "cors.allow.headers": "Origin,Content-Type,Accept,Authorization,X-Requested-With",
    "cors.expose.headers": "",
    "cors.allow.credentials": "false",
    "cors.max.age": "86400",
    "cors.allow.private.network": "false",
}


def known_option(key: str) -> bool:
    return key in OPTION_KEYS or key in OPTION_KEYS.values()


def _option(options: dict[str, Any], key: str) -> str:
    value = options.get(key, options.get(OPTION_KEYS[key]))
    if value is None or value == "":
        return DEFAULTS[key]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


class CorsPolicy:
    def __init__(self, options: dict[str, Any]):
        origins = _option(options, "cors.allow.origins")
        self.any_origin = origins.strip() == "*"
        self.origins = [o.strip() for o in origins.split(",") if o.strip()]
        self.methods = _option(options, "cors.allow.methods").encode("latin-1")
        self.headers = _option(options, "cors.allow.headers").encode("latin-1")
        self.expose = _option(options, "cors.expose.headers").encode("latin-1")
        self.credentials = _option(options, "cors.allow.credentials").lower() == "true"
        self.max_age = _option(options, "cors.max.age").encode("latin-1")
        self.private = _option(options, "cors.allow.private.network").lower() == "true"

    def allowed(self, origin: str) -> bool:
        if self.any_origin:
            return True
        for allowed in self.origins:
            if allowed == "*" or allowed == origin:
                return True
            if allowed.startswith("*.") and origin.endswith(allowed[1:]) \
                    and len(origin) > len(allowed) - 1:
                return True
        return False

    def preflight_headers(self, origin: bytes) -> list[tuple[bytes, bytes]]:
        out = [(b"access-control-allow-origin", origin),
               (b"access-control-allow-methods", self.methods)]
        if self.headers:
            out.append((b"access-control-allow-headers", self.headers))
        if self.max_age:
            out.append((b"access-control-max-age", self.max_age))
        if self.credentials:
            out.append((b"access-control-allow-credentials", b"true"))
        if self.private:
            out.append((b"access-control-allow-private-network", b"true"))
        out.append((b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"))
        return out

    def actual_headers(self, origin: bytes) -> list[tuple[bytes, bytes]]:
        out = [(b"access-control-allow-origin", origin)]
        if self.expose:
            out.append((b"access-control-expose-headers", self.expose))
        if self.credentials:
            out.append((b"access-control-allow-credentials", b"true"))
        if self.private:
            out.append((b"access-control-allow-private-network", b"true"))
        out.append((b"vary", b"Origin"))
        return out


class CorsMiddleware:
    """Wraps a route handler: `await mw(scope, receive, send, params)`."""
    __slots__ = ("next", "policy")

    def __init__(self, next_handler: Any, policy: CorsPolicy):
        self.next = next_handler
        self.policy = policy

    async def __call__(self, scope: dict, receive: Any, send: Any, params: dict) -> None:
        origin = None
        request_method = None
        for k, v in scope["headers"]:
            if k == b"origin":
                origin = v
            elif k == b"access-control-request-method":
                request_method = v
        if not origin or not self.policy.allowed(origin.decode("latin-1")):
            return await self.next(scope, receive, send, params)
        if scope["method"] == "OPTIONS" and request_method:
            await send({"type": "http.response.start", "status": 204,
                        "headers": self.policy.preflight_headers(origin)})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        extra = self.policy.actual_headers(origin)

        async def send_with_cors(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.next(responses_through_send(scope), receive, send_with_cors, params)

