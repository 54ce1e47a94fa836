"""The operations listener as a Starlette app when the ops page is on: /metrics, /health,
/livez and /ready answered exactly as the plain listener answers them, plus the page under
/ops/ (docs/operations.md, "Ops page").

Guards, since the page can change things (replay) and shows handler errors:
* Only a loopback Host header is served under /ops/ unless `ops.allow_remote`: a page
  on 127.0.0.1 cannot be read through a DNS name rebound to 127.0.0.1 by another site.
* A replay must carry the page's token (a random value per process, in the page's HTML,
  which other origins cannot read) in a custom header, which a cross-site form cannot
  send and a cross-site fetch cannot send without a CORS preflight this app never
  grants; an Origin or Sec-Fetch-Site header naming another site is refused as well.
* A Content-Security-Policy allows only the page's own scripts, styles and API, and
  forbids framing (no clickjacking of the replay button).
"""
from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import sqlite3
import time
from importlib import resources
from typing import Any, Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ...cli import queue as cli_queue
from ...logs import fields
from . import state
from .handler_errors import HandlerErrors

log = logging.getLogger("wippy.ops")
TOKEN_HEADER = "x-wippy-ops-token"
BODY_LIMIT = 4096     # bytes of a replay request; it is one small JSON object
SECURITY = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
STATIC = {"ops.js": "text/javascript; charset=utf-8", "ops.css": "text/css; charset=utf-8"}
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
Handler = Callable[[Request], Awaitable[Response]]


def json_response(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, default=str, separators=(",", ":"), ensure_ascii=False)
    return Response(body.encode(), status, headers=SECURITY, media_type="application/json")


def loopback_host(host_header: str) -> bool:
    """True for `localhost`, `127.x.y.z` and `[::1]`, with or without a port."""
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host[1:host.find("]")]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cross_site(request: Request, token: str) -> str | None:
    """Why a state-changing request is refused, or None when it comes from the page."""
    sent = request.headers.get(TOKEN_HEADER, "")
    if not hmac.compare_digest(sent.encode(), token.encode()):
        return f"missing or wrong {TOKEN_HEADER} header: use the ops page"
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host')}":
        return f"origin {origin} is not this page's"
    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        return f"a {site} request is not this page's"
    return None


class OpsPage:
    """The routes; `ops` answers /metrics, /health, /livez and /ready (OpsListener.answer)."""

    def __init__(self, ops: Any, runtime: Any, errors: HandlerErrors, allow_remote: bool,
                 token: str):
        self.ops = ops
        self.runtime = runtime
        self.errors = errors
        self.allow_remote = allow_remote
        self.token = token
        folder = resources.files(__package__) / "static"
        self.index = (folder / "index.html").read_text("utf-8").replace("{{token}}", token)
        self.static = {name: (folder / name).read_bytes() for name in STATIC}

    def app(self) -> Starlette:
        page = self._guarded
        routes = [Route(path, self.plain, methods=ALL_METHODS)
                  for path in ("/metrics", "/health", "/livez", "/ready")]
        routes += [
            Route("/ops", page(self.to_page)),
            Route("/ops/", page(self.page)),
            Route("/ops/static/{name}", page(self.static_file)),
            Route("/ops/api/state", page(self.state)),
            Route("/ops/api/entries", page(self.entries)),
            Route("/ops/api/replay", page(self.replay), methods=["POST"]),
        ]
        return Starlette(routes=routes, exception_handlers={HTTPException: self.http_error})

    # -- the plain listener's paths ---------------------------------------------------
    async def plain(self, request: Request) -> Response:
        status, ctype, body = self.ops.answer(request.method.encode(),
                                               request.url.path.encode())
        return Response(body, status, media_type=ctype)

    async def http_error(self, request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        if request.url.path.startswith("/ops"):
            return json_response({"error": f"{request.method} {request.url.path}: "
                                           f"{getattr(exc, 'detail', 'error')}"}, status)
        return Response(b"not found: /metrics, /health, /ready and the ops page /ops/ are "
                        b"served here\n", status, media_type="text/plain")

    # -- the page ---------------------------------------------------------------------
    def _guarded(self, handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            if not self.allow_remote and not loopback_host(request.headers.get("host", "")):
                return json_response({"error": "the ops page answers only to a loopback Host "
                                               "(127.0.0.1, localhost, [::1]); set "
                                               "ops.allow_remote in .wippy.yaml to serve "
                                               "it under other names"}, 403)
            try:
                return await handler(request)
            except Exception:  # noqa: BLE001 - never a traceback to the browser
                log.exception("ops page request failed",
                              extra=fields(path=request.url.path))
                return json_response({"error": "internal error; the wippy log has the "
                                               "details"}, 500)
        return guarded

    async def to_page(self, request: Request) -> Response:
        return RedirectResponse("/ops/", 308, headers=SECURITY)

    async def page(self, request: Request) -> Response:
        return Response(self.index, headers=SECURITY, media_type="text/html")

    async def static_file(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.static:
            return json_response({"error": f"no static file {name}"}, 404)
        return Response(self.static[name], headers=SECURITY, media_type=STATIC[name])

    async def state(self, request: Request) -> Response:
        rt = self.runtime
        ready, services = state.services(rt)
        durable = state.durable_queues(rt)
        dead, letters = await asyncio.to_thread(state.read_durable, durable)
        return json_response({
            "time": time.time(), "ready": ready, "services": services,
            "queues": state.queues(dict(rt.objects), dead, durable),
            "dead_letters": letters, "errors": self.errors.latest()})

    async def entries(self, request: Request) -> Response:
        return json_response({"entries": state.entries(self.runtime)})

    async def replay(self, request: Request) -> Response:
        refused = cross_site(request, self.token)
        if refused:
            return json_response({"error": refused}, 403)
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > BODY_LIMIT:
                return json_response({"error": f"body over {BODY_LIMIT} bytes"}, 413)
        try:
            data = json.loads(raw or b"null")
        except ValueError:
            data = None
        dead_queue = data.get("dead_queue") if isinstance(data, dict) else None
        message_id = data.get("message_id") if isinstance(data, dict) else None
        if not isinstance(dead_queue, str) or not isinstance(message_id, (str, type(None))):
            return json_response({"error": 'send JSON {"dead_queue": "ns:queue", '
                                           '"message_id": "..." (optional: every message)}'},
                                 400)
        durable = state.durable_queues(self.runtime)
        try:
            moved = await asyncio.to_thread(cli_queue.replay, durable, dead_queue, None, 0,
                                            message_id)
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        except sqlite3.Error as exc:
            return json_response({"error": f"replay failed: {exc}"}, 503)
        total = sum(moved.values())
        if message_id is not None and total == 0:
            return json_response({"error": f"message {message_id} is not waiting in "
                                           f"{dead_queue} (replayed already?)"}, 404)
        log.info("dead letters replayed from the ops page", extra=fields(
            dead_queue=dead_queue, message_id=message_id, moved=moved))
        return json_response({"replayed": total, "moved": moved})
