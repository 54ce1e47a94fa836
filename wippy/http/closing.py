"""How an HTTP connection ends when something is wrong: the answers the connection
writes by itself (a bad request, a stalled body, a full server) and the
lingering close that lets the client read them.

A mixin of `HttpProtocol` (protocol.py), kept apart so that the request path
stays readable; it uses the protocol's transport, timer and exchanges.
Why the lingering close and its bounds: edge.py.
"""
from __future__ import annotations

import logging
from typing import Any

from ..logs import fields
from .edge import LINGER_BYTES, LINGER_TIME, LINGER_TIMEOUT
from .responses import error_body, new_request_id
from .state import join_addr

log = logging.getLogger("wippy.http")

TEXT = b"content-type: text/plain; charset=utf-8\r\n"
JSON = b"content-type: application/json\r\n"
_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\n"
_UNAVAILABLE = b"HTTP/1.1 503 Service Unavailable\r\n"
_RETRY = b"retry-after: 1\r\n"


class Closing:
    """Error answers and the lingering close, for `HttpProtocol`."""

    transport: Any
    loop: Any
    edge: Any

    def client_text(self) -> str:
        return join_addr(self.client) if self.client else ""

    def answer(self, status_line: bytes, body: bytes, head: bytes = TEXT) -> None:
        """An answer written by the connection itself, then a lingering close: the
        client may still be sending the request it answers."""
        defaults, _ = self.default_head()
        self.transport.write(b"".join((
            status_line, defaults, head, b"content-length: ",
            str(len(body)).encode("ascii"), b"\r\nconnection: close\r\n\r\n", body)))
        self.linger()

    def answer_error(self, status_line: bytes, code: str, message: str, rid: str,
                     retry: bool = False) -> None:
        """The runtime's JSON error shape (responses.py), as the app would send it."""
        head = JSON + b"x-request-id: " + rid.encode("ascii") + b"\r\n"
        self.answer(status_line, error_body(code, message, rid), head + _RETRY if retry else head)

    def close_after(self, ex: Any) -> None:
        """End the connection after `ex`'s response asked to close: at once, or with a
        lingering close while its request body may still be arriving (an early 413)."""
        if ex.more_body and not ex.disconnected:
            self.release_body(ex)
            self.linger()
        else:
            self.transport.close()

    def abort_body(self, ex: Any, status_line: bytes, code: str, message: str, rid: str,
                   retry: bool = False) -> None:
        """`ex`'s body will not be completed: answer for it, and let its handler,
        which waits for the body, see a disconnect."""
        self.release_body(ex)
        ex.disconnected = True
        ex.wake()
        if ex.started:
            self.transport.close()    # its response is under way: nothing else can go out
        else:
            self.answer_error(status_line, code, message, rid, retry)

    def release_body(self, ex: Any) -> None:
        """`ex`'s body no longer counts as arriving (edge.buffered)."""
        if ex.counted:
            self.edge.buffered -= ex.counted
            ex.counted = 0

    # ------------------------------------------------------------ the answers
    def body_stalled(self, ex: Any) -> None:
        rid = new_request_id()
        log.warning("request body not received in time", extra=fields(
            client=self.client_text(), idle_timeout=self.body_idle, request_id=rid))
        self.abort_body(ex, _TIMEOUT, "body_timeout", "request body not received in time", rid)

    def body_buffer_full(self, ex: Any) -> None:
        edge = self.edge
        rid = new_request_id()
        if not edge.buffer_full:
            edge.buffer_full = True
            log.warning("request bodies still arriving fill max_body_buffer; answering 503 "
                        "until some complete", extra=fields(limit=edge.max_body_buffer,
                                                           request_id=rid))
        self.abort_body(ex, _UNAVAILABLE, "overloaded", "server busy, retry later", rid,
                        retry=True)

    def refuse_connection(self) -> None:
        edge = self.edge
        rid = new_request_id()
        if not edge.refusing:
            edge.refusing = True
            log.warning("connection limit reached; answering 503 to new connections until "
                        "some close", extra=fields(limit=edge.max_connections, request_id=rid))
        self.answer_error(_UNAVAILABLE, "overloaded", "server busy, retry later", rid,
                          retry=True)

    # ------------------------------------------------------------ lingering close
    def linger(self) -> None:
        """Shut down writing, then read and discard until the client closes or the
        bounds in edge.py run out."""
        transport = self.transport
        if transport.is_closing() or self.lingering:
            return
        now = self.loop.time()
        self.lingering = now + LINGER_TIME
        self.linger_read = now
        self.linger_left = LINGER_BYTES
        self.in_headers = False
        self.pipeline.clear()
        if transport.can_write_eof():    # TLS cannot half-close: it only discards
            transport.write_eof()        # sent once the answer has left
        self.resume_reading()
        self._arm(now + LINGER_TIMEOUT)

    def discard(self, nbytes: int) -> None:
        now = self.loop.time()
        self.linger_read = now
        self.linger_left -= nbytes
        if self.linger_left <= 0 or now >= self.lingering:
            self.transport.close()

    def linger_due(self, now: float) -> float:
        """When the lingering close ends; 0 after closing now."""
        due = min(self.lingering, self.linger_read + LINGER_TIMEOUT)
        if now >= due:
            self.transport.close()    # the client neither closed nor stopped sending
            return 0.0
        return due
