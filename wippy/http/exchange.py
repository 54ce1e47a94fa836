"""One request and its response on an HTTP/1.1 connection: the ASGI `receive` and
`send` the app sees, and the bytes that go on the wire.

The response's status line and headers are held until its first body message
and leave in the same `write()`: one `send()` per response instead of two.
Every sender in this package follows `http.response.start` with a body message
at once (`HttpCall.flush` sends an empty one), so nothing waits on the hold.

Header names and values are checked for CR and LF once over the finished head
(one count per character instead of a regex per header): a value carrying a
line break cannot add a header or split the response.
"""
from __future__ import annotations

import asyncio
import http
import logging
from typing import Any

from ..logs import fields
from .types import FAST_PATH

log = logging.getLogger("wippy.http")

_DISCONNECT = {"type": "http.disconnect"}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_NO_BODY_STATUS = (204, 304)
_LAST_CHUNK = b"0\r\n\r\n"
_INTERNAL_ERROR = (b"HTTP/1.1 500 Internal Server Error\r\n"
                   b"content-type: text/plain; charset=utf-8\r\n"
                   b"content-length: 21\r\nconnection: close\r\n\r\nInternal Server Error")


def _status_line(code: int) -> bytes:
    try:
        phrase = http.HTTPStatus(code).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {code} {phrase}\r\n".encode("latin-1")


STATUS_LINES = {code: _status_line(code) for code in range(100, 600)}


class Exchange:
    """The request half (body as it arrives) and the response half (what was sent)."""

    __slots__ = ("conn", "scope", "keep_alive", "expect_continue", "is_head", "task",
                 "body", "body_size", "more_body", "body_done", "waiter", "disconnected",
                 "started", "complete", "chunked", "expected", "head", "consumed", "counted",
                 "status", "sent", "t0", "route", "rid")

    def __init__(self, conn: Any, scope: dict, keep_alive: bool, expect_continue: bool):
        self.conn = conn
        self.scope = scope
        scope[FAST_PATH] = self        # the app's declared fast path (types.py)
        self.keep_alive = keep_alive
        self.expect_continue = expect_continue
        self.is_head = scope["method"] == "HEAD"
        self.task: asyncio.Task | None = None
        self.body: list[bytes] = []
        self.body_size = 0             # received, not yet passed to the app
        self.consumed = 0              # body bytes passed to the app by receive()
        self.counted = 0               # of which counted in the server's Edge.buffered
        self.more_body = True          # the parser has not seen the end of the body yet
        self.body_done = False         # the app received the last body message
        self.waiter: asyncio.Future | None = None
        self.disconnected = False
        self.started = False
        self.complete = False
        self.chunked = False
        self.expected = 0              # body bytes still owed under Content-Length
        self.head = b""                # status line and headers not yet written
        self.sent = 0                  # response body bytes written
        # status is set with the head; t0, route and rid only on a server with an
        # observer (metrics, access log: protocol.py, wippy/ops/http_observer.py).

    # ------------------------------------------------------------ request side
    def wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def receive(self) -> dict:
        if self.expect_continue:
            self.expect_continue = False
            transport = self.conn.transport
            if not self.started and not transport.is_closing():
                transport.write(_CONTINUE)
        while not (self.disconnected or self.complete):
            if self.body or not (self.more_body or self.body_done):
                break
            self.conn.resume_reading()
            waiter = self.waiter = self.conn.loop.create_future()
            try:
                await waiter
            finally:
                self.waiter = None
        if self.disconnected or self.complete:
            return _DISCONNECT
        chunks = self.body
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self.body = []
        self.consumed += self.body_size
        self.body_size = 0
        more = self.more_body
        if not more:
            self.body_done = True
        return {"type": "http.request", "body": body, "more_body": more}

    def take_body(self) -> bytes | None:
        """The whole request body if it has fully arrived (and not been read), else
        None: then read it with `receive()`. Saves the ASGI round trip for the
        usual request whose body came with its headers."""
        if (self.more_body or self.body_done or self.disconnected or self.complete
                or self.expect_continue):
            return None
        chunks = self.body
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self.body = []
        self.body_size = 0
        self.body_done = True
        return body

    # ------------------------------------------------------------ response side
    def respond(self, status: int, headers: Any, body: bytes) -> bool:
        """A whole response at once, written exactly as `send()` of a start message
        and one final body message would write it, without the two awaits. False
        (nothing done) when it must go the ASGI way: already started, client gone,
        or writes paused."""
        if self.started or self.disconnected or self.conn.write_paused:
            return False
        out = self._head(status, headers)    # raises on a bad header: nothing sent yet
        if self.is_head:
            self.expected = 0
        elif self.chunked:
            if body:
                out += b"%x\r\n" % len(body) + body + b"\r\n"
            out += _LAST_CHUNK
        elif body:
            self.expected -= len(body)
        if self.expected:
            self.head = out                  # as send() leaves it: the app's 500 goes out
            self.started = True
            raise RuntimeError("response body does not match its Content-Length")
        if body and not self.is_head:
            self.sent = len(body)
            if not self.chunked:
                out += body
        self.started = self.complete = True
        self.expect_continue = False
        transport = self.conn.transport
        transport.write(out)
        self.wake()
        if not self.keep_alive:
            self.conn.close_after(self)
        self.conn.response_complete(self)
        return True

    async def send(self, message: dict) -> None:
        conn = self.conn
        if conn.write_paused and not self.disconnected:
            await conn.drain()
        if self.disconnected:
            return
        kind = message["type"]
        if not self.started:
            if kind != "http.response.start":
                raise RuntimeError(f"expected ASGI message 'http.response.start', got {kind!r}")
            self.started = True
            self.expect_continue = False
            self.head = self._head(message["status"], message.get("headers") or ())
            return
        if self.complete:
            raise RuntimeError(f"ASGI message {kind!r} sent after the response completed")
        if kind != "http.response.body":
            raise RuntimeError(f"expected ASGI message 'http.response.body', got {kind!r}")
        body = message.get("body", b"")
        more = message.get("more_body", False)
        out = self.head
        self.head = b""
        if self.is_head:
            self.expected = 0
        elif self.chunked:
            if body:
                out += b"%x\r\n" % len(body) + body + b"\r\n"
            if not more:
                out += _LAST_CHUNK
        elif body:
            if len(body) > self.expected:
                raise RuntimeError("response body longer than its Content-Length")
            self.expected -= len(body)
            out = out + body if out else body
        if body and not self.is_head:
            self.sent += len(body)
        transport = conn.transport
        if out:
            transport.write(out)
        if not more:
            if self.expected:
                raise RuntimeError("response body shorter than its Content-Length")
            self.complete = True
            self.wake()
            if not self.keep_alive:
                conn.close_after(self)
            conn.response_complete(self)

    def _head(self, status: int, headers: Any) -> bytes:
        self.status = status
        head = STATUS_LINES.get(status) or _status_line(status)
        defaults, lines = self.conn.default_head()
        parts = [head, defaults]
        lines += 2                     # the status line and the blank line
        length_set = closing = False
        for name, value in headers:
            name = name.lower()
            if name == b"content-length":
                if not length_set and not self.chunked:
                    self.expected = int(value)
                    length_set = True
            elif name == b"transfer-encoding":
                if value.lower() == b"chunked":
                    self.expected = 0
                    self.chunked = True
            elif name == b"connection":
                if b"close" in [t.strip() for t in value.lower().split(b",")]:
                    self.keep_alive = False
                    closing = True
            elif name == b"x-request-id":   # the id an error answer carries: the access log's
                self.rid = value.decode("latin-1")
            parts += (name, b": ", value, b"\r\n")
            lines += 1
        if not self.keep_alive and not closing:
            parts.append(b"connection: close\r\n")
            lines += 1
        if (not length_set and not self.chunked and not self.is_head
                and status not in _NO_BODY_STATUS):
            self.chunked = True
            parts.append(b"transfer-encoding: chunked\r\n")
            lines += 1
        parts.append(b"\r\n")
        out = b"".join(parts)
        if out.count(b"\n") != lines or out.count(b"\r") != lines:
            raise RuntimeError("invalid HTTP header: a name or value contains CR or LF")
        return out

    # ------------------------------------------------------------ running the app
    async def run(self, app: Any) -> None:
        try:
            await app(self.scope, self.receive, self.send)
        except asyncio.CancelledError:
            if not self.complete:
                self.conn.transport.close()
            raise
        except Exception:
            log.exception("HTTP request failed inside the server",
                          extra=fields(method=self.scope["method"], path=self.scope["path"]))
            self._abort()
        else:
            if not self.complete and not self.disconnected:
                log.error("HTTP response not completed by the app",
                          extra=fields(method=self.scope["method"], path=self.scope["path"]))
                self._abort()
        finally:
            self.conn.tasks.discard(self.task)

    def _abort(self) -> None:
        """After an app failure: a plain 500 if nothing was sent yet, else close."""
        transport = self.conn.transport
        if self.disconnected or transport.is_closing():
            return
        if not self.started or self.head:
            transport.write(_INTERNAL_ERROR)
        self.conn.close_after(self)
