"""Calling a Lua function for one HTTP request (docs/decisions.md: D4).

1. The body is read up front, bounded by the service's `max_body` (checked
   from Content-Length before reading, then while reading) and by a read
   deadline; over the limit → 413 before the handler runs. (A pause between
   two reads of the body is the connection's to time: protocol.py.)
2. Then the request takes a `limit_concurrency` slot (gate.py), or gets 503.
3. The function runs with no arguments; `http.request()`/`http.response()`
   reach this request through `call.http` (an `HttpCall`).
4. Afterwards: whatever the handler wrote is sent. If it wrote nothing and
   failed → 500 `handler_error`; if it wrote nothing and returned nothing →
   500 `no_response`. Both carry a request id; the detail goes to the log.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..aio import run_until
from ..errors import WippyError
from ..logs import fields
from .types import FAST_PATH
from .gate import Gate
from .responses import new_request_id, send_error
from .state import HttpCall

log = logging.getLogger("wippy.http")

DEFAULT_MAX_BODY = 1 << 20
DEFAULT_BODY_TIMEOUT = 300.0     # Go runtime: request body read timeout 5 min


class BodyTooLarge(Exception):
    pass


async def read_body(receive: Any, limit: int) -> bytes | None:
    """The whole request body, or None if the client went away. Raises BodyTooLarge."""
    msg = await receive()
    if msg["type"] != "http.request":
        return None
    body = msg.get("body", b"")
    if not msg.get("more_body", False):
        if len(body) > limit:
            raise BodyTooLarge
        return body
    chunks = [body]
    total = len(body)
    while True:
        msg = await receive()
        if msg["type"] != "http.request":
            return None
        chunk = msg.get("body", b"")
        total += len(chunk)
        if total > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not msg.get("more_body", False):
            return b"".join(chunks)


class Endpoint:
    """The handler of one http.endpoint: `await endpoint(scope, receive, send, params)`."""

    __slots__ = ("entry_id", "func_id", "engine", "fdef", "max_body", "body_timeout",
                 "budget", "gate")

    def __init__(self, entry_id: str, func_id: str, engine: Any, fdef: Any,
                 max_body: int = DEFAULT_MAX_BODY, body_timeout: float = DEFAULT_BODY_TIMEOUT,
                 budget: float | None = None, gate: Gate | None = None):
        self.gate = gate or Gate()
        self.entry_id = entry_id
        self.func_id = func_id
        self.engine = engine
        self.fdef = fdef               # None: the function entry is missing
        self.max_body = max_body
        self.body_timeout = body_timeout or DEFAULT_BODY_TIMEOUT
        if budget and fdef is not None:
            # The write timeout caps the handler; it never extends the function's own limit.
            own = getattr(fdef, "budget", None) or getattr(engine, "budget", None)
            budget = min(budget, own) if own else budget
        self.budget = budget

    async def __call__(self, scope: dict, receive: Any, send: Any, params: dict) -> None:
        length = 0
        chunked = False
        for k, v in scope["headers"]:
            if k == b"content-length":
                try:
                    length = int(v)
                except ValueError:
                    length = 0
            elif k == b"transfer-encoding":
                chunked = True
        body = b""
        if length > 0 or chunked:
            if length > self.max_body:
                return await self._too_large(send)
            # Our own server hands over a body that has fully arrived directly (types.py).
            fast = scope.get(FAST_PATH)
            taken = fast.take_body() if fast is not None else None
            if taken is not None:
                if len(taken) > self.max_body:
                    return await self._too_large(send)
                body = taken
            else:
                try:
                    # Usually the body is already here: then no timer is set at all.
                    body = await run_until(read_body(receive, self.max_body),
                                           self.engine.loop_time() + self.body_timeout)
                except BodyTooLarge:
                    return await self._too_large(send)
                except TimeoutError:
                    rid = new_request_id()
                    log.warning("request body not received in time", extra=fields(
                        endpoint=self.entry_id, timeout=self.body_timeout, request_id=rid))
                    return await send_error(send, 408, "body_timeout",
                                            "request body not received in time", rid,
                                            close=True)
                if body is None:
                    return  # client disconnected
        if chunked:
            length = -1
        gate = self.gate
        if gate.limit and gate.active >= gate.limit:
            return await gate.refuse(send)
        gate.active += 1
        try:
            return await self._handle(HttpCall(scope, body, params, send, length))
        finally:
            gate.leave()

    async def _handle(self, call: HttpCall) -> None:
        if self.fdef is None:
            return await self._fail(call, "no_handler", "internal server error",
                                    f"no handler registered for target {self.func_id}")
        try:
            result = await self.engine.call(self.fdef, (), http=call, budget=self.budget)
        except asyncio.CancelledError:
            raise
        except WippyError as exc:  # e.g. a worker stuck past the hard deadline
            result = None
            error_text = exc.message
        except Exception as exc:  # the engine itself failed; never a traceback to the client
            log.exception("calling the handler failed",
                          extra=fields(endpoint=self.entry_id, func=self.func_id))
            result = None
            error_text = f"{type(exc).__name__}: {exc}"
        else:
            error_text = result.error.message if result.error is not None else None
        if call.handled:
            if error_text is not None:
                log.warning("handler failed after writing a response", extra=fields(
                    endpoint=self.entry_id, func=self.func_id, error=error_text))
            return await call.finish()
        if error_text is not None:
            return await self._fail(call, "handler_error", "internal server error", error_text)
        if result is not None and result.values and result.values[0] is not None:
            # Go: a returned value with nothing written → 200, application/json, empty body.
            call.headers = {b"content-type": b"application/json"}
            return await call.finish()
        return await self._fail(call, "no_response", "no response sent",
                                "handler returned without writing a response")

    async def _fail(self, call: HttpCall, code: str, message: str, detail: str) -> None:
        rid = new_request_id()
        call.request_id = rid
        log.error(f"{call.method} {call.path} failed: {detail}", extra=fields(
            endpoint=self.entry_id, func=self.func_id, code=code, request_id=rid))
        await send_error(call.send, 500, code, message, rid)

    async def _too_large(self, send: Any) -> None:
        rid = new_request_id()
        log.warning("request body too large", extra=fields(
            endpoint=self.entry_id, limit=self.max_body, request_id=rid))
        await send_error(send, 413, "body_too_large",
                         f"request body too large (limit {self.max_body} bytes)", rid, close=True)
