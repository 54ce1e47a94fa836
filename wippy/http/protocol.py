"""One HTTP/1.1 connection, parsed with httptools: the protocol class uvicorn's
`Config(http=...)` runs for every http.service.

uvicorn keeps the server (listening, TLS, the Date header tick, graceful
shutdown); this class replaces its per-connection protocol, which cost about
13 µs of Python per request in the task-queue benchmark (a 404 took 22 µs of
server CPU through it, 9 µs through a bare httptools protocol). What it keeps
and what it adds:

* Keep-alive, pipelining (one request at a time, in order), `Expect:
  100-continue`, chunked and fixed-length responses, HEAD without a body,
  back-pressure both ways, and uvicorn's `shutdown()` contract.
* Deadlines uvicorn lacks (reliability finding 3): request headers must arrive
  within `header_timeout` of their first byte (slowloris), and a connection
  that opens and sends nothing is closed after the idle timeout.
* Timers are lazy: one per connection, re-armed only when it fires, so a
  request costs one clock read instead of a cancelled and a new timer.
* Reads land in one preallocated buffer shared by the server's connections
  (each read is parsed before the loop does anything else), not a fresh
  256 KiB bytes object per read, which glibc serves with mmap + munmap.
* On shutdown, a connection whose request body is still arriving is closed at
  once: its handler has not started, and a stalled upload would otherwise hold
  the grace period.
* The limits of edge.py: open connections, a pause between two reads of a
  body (408), bytes of bodies still arriving, summed over the connections
  (503). A body is accounted and timed only while it is incomplete at the end
  of a read, so a request whose body came with its headers pays nothing.
* The request head's callbacks and limits (431, 414, 400 without Host): head.py.
* Error answers the connection writes itself and the lingering close: closing.py.
"""
from __future__ import annotations

import asyncio
import logging
import sys
from collections import deque
from time import perf_counter
from typing import Any
from urllib.parse import unquote

import httptools
from uvicorn.protocols.utils import get_local_addr, get_remote_addr, is_ssl

from ..logs import fields
from .closing import Closing
from .edge import Edge
from .exchange import Exchange
from .head import BAD_REQUEST, NO_HOST, Head

log = logging.getLogger("wippy.http")

READ_BUFFER = 256 * 1024     # asyncio's own read size for sockets
HIGH_WATER = 64 * 1024       # unread request body that pauses reading
_ASGI = {"version": "3.0", "spec_version": "2.3"}


class HttpProtocol(Head, Closing, asyncio.BufferedProtocol):
    """Set per server by `protocol_class()`: its limits and its read buffer."""

    edge = Edge()
    header_timeout = 30.0               # the limits read per request, copied from `edge`
    body_idle = 60.0
    max_connections = sys.maxsize
    max_body_buffer = sys.maxsize
    read_buffer = memoryview(bytearray(0))
    observer: Any = None                # called with each completed Exchange (metrics, access log)
    _defaults: list = [None, b"", 0]    # Date header cache: (source list, bytes, lines)

    def __init__(self, config: Any, server_state: Any, app_state: Any,
                 _loop: asyncio.AbstractEventLoop | None = None):
        if not config.loaded:
            config.load()
        self.app = config.loaded_app
        self.loop = _loop or asyncio.get_event_loop()
        self.server_state = server_state
        self.connections = server_state.connections
        self.tasks = server_state.tasks
        self.idle_timeout = config.timeout_keep_alive
        self.parser = httptools.HttpRequestParser(self)
        try:   # answer a request even if the client closed right after sending it
            self.parser.set_dangerous_leniencies(lenient_data_after_close=True)
        except AttributeError:  # pragma: no cover - httptools < 0.6.3
            pass
        self.transport: Any = None
        self.server: Any = None
        self.client: Any = None
        self.scheme = "http"
        self.current: Exchange | None = None     # the request the parser is filling
        self.running: Exchange | None = None     # the request the app is handling
        self.pipeline: deque[Exchange] = deque()
        self.read_paused = False
        self.write_paused = False
        self.drain_waiters: list[asyncio.Future] = []
        self.timer: asyncio.TimerHandle | None = None
        self.last_active = 0.0
        self.in_headers = False
        self.header_deadline = 0.0
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.host_seen = False
        self.expect_continue = False
        self.read_size = 0         # bytes of the read being parsed
        self.head_bytes = 0        # bytes of the reads a head still arriving came in
        self.head_first = 0        # of which the read it began in (may hold other requests)
        self.reject: tuple[bytes, str, str] | None = None   # the answer to a bad head
        self.body_progress = 0.0   # when bytes of an incomplete body last came in
        self.lingering = 0.0       # lingering close until this loop time; 0 = not lingering
        self.linger_read = 0.0     # when the last discarded bytes came in
        self.linger_left = 0       # bytes still to discard before closing anyway

    # ------------------------------------------------------------ connection
    def connection_made(self, transport: Any) -> None:
        self.connections.add(self)
        self.transport = transport
        self.server = get_local_addr(transport)
        self.client = get_remote_addr(transport)
        if is_ssl(transport):
            self.scheme = "https"
        if len(self.connections) > self.max_connections:
            self.refuse_connection()
            return
        if self.edge.refusing:
            self.edge.refusing = False    # under the limit again: the next episode is logged
        self.last_active = self.loop.time()
        self._arm(self.last_active + self.idle_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        if self.current is not None:
            self.release_body(self.current)
        for ex in (self.running, self.current, *self.pipeline):
            if ex is not None and not ex.complete:
                ex.disconnected = True
                ex.wake()
        self.write_paused = False
        self._wake_drains()
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if exc is None:
            self.transport.close()
        self.parser = None

    def eof_received(self) -> None:
        return None    # the transport closes; a handler still running sees a disconnect

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.read_buffer

    def buffer_updated(self, nbytes: int) -> None:
        if self.lingering:
            self.discard(nbytes)
            return
        self.data_received(bytes(self.read_buffer[:nbytes]))

    def data_received(self, data: bytes) -> None:
        self.read_size = len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # No protocol upgrades are served: answer this request, then close
            # (the parser stops at the upgrade and reads nothing further).
            if self.current is not None:
                self.current.more_body = False
                self.current.keep_alive = False
                self.current.wake()
        except httptools.HttpParserError:
            self._bad_request()
            return
        if self.in_headers:
            self.head_arriving(len(data))
            return
        ex = self.current
        if ex is not None and ex.more_body and not ex.complete:
            self._body_arriving(ex)

    def _body_arriving(self, ex: Exchange) -> None:
        """After a read that left `ex`'s body incomplete: count what it holds against
        max_body_buffer and restart its idle timer."""
        now = self.body_progress = self.loop.time()
        held = ex.consumed + ex.body_size    # received so far (on_body stays lean)
        grown = held - ex.counted
        if grown:
            edge = self.edge
            edge.buffered += grown
            ex.counted = held
            if edge.buffered > self.max_body_buffer and ex is self.running:
                self.body_buffer_full(ex)
                return
            if edge.buffer_full and edge.buffered <= self.max_body_buffer:
                edge.buffer_full = False      # the next episode is logged again
        self._arm(now + self.body_idle)

    def _bad_request(self) -> None:
        status_line, text, what = self.reject or BAD_REQUEST
        log.warning(f"{what}; closing the connection", extra=fields(client=self.client_text()))
        transport = self.transport
        if transport.is_closing():
            return
        ex = self.current
        if ex is not None and ex.more_body and ex is self.running and not ex.started:
            # The error is in the body the handler waits for (a chunk size that is not
            # hex): it will never arrive, so answer now; the handler sees a disconnect.
            self.release_body(ex)
            ex.disconnected = True
            ex.wake()
        elif self.running is not None and not self.running.complete:
            if ex is self.running and ex.more_body:
                transport.close()     # its response is under way, its body is broken
                return
            # A response is being made: let it finish, then close; read nothing more.
            self.running.keep_alive = False
            self.pipeline.clear()
            self.pause_reading()
            return
        self.answer(status_line, text.encode("ascii"))

    # ------------------------------------------------------------ parser callbacks
    def on_headers_complete(self) -> None:
        self.in_headers = False
        parser = self.parser
        version = parser.get_http_version()
        if (self.head_bytes + self.read_size > self.max_header_bytes
                or len(self.headers) > self.max_headers):
            self.measure_head()
        if not self.host_seen and version != "1.0":
            self.reject_head(NO_HOST)
        url = httptools.parse_url(self.url)
        raw_path = url.path
        path = raw_path.decode("ascii")
        if "%" in path:
            path = unquote(path)
        scope = {"type": "http", "asgi": _ASGI, "http_version": version,
                 "server": self.server, "client": self.client, "scheme": self.scheme,
                 "method": parser.get_method().decode("ascii"), "root_path": "",
                 "path": path, "raw_path": raw_path, "query_string": url.query or b"",
                 "headers": self.headers}
        ex = Exchange(self, scope, version != "1.0" and parser.should_keep_alive(),
                      self.expect_continue)
        self.current = ex
        if self.observer is not None:
            ex.t0 = perf_counter()
            ex.route = ""               # no route matched, unless the app sets one
            ex.rid = None
        if self.running is None:
            self._start(ex)
        else:   # pipelined: wait for the response in progress
            self.pipeline.append(ex)
            self.pause_reading()

    def on_body(self, body: bytes) -> None:
        ex = self.current
        if ex.complete:
            return
        ex.body.append(body)
        ex.body_size += len(body)
        if ex.body_size > HIGH_WATER:
            self.pause_reading()
        ex.wake()

    def on_message_complete(self) -> None:
        ex = self.current
        if ex.counted:
            self.release_body(ex)
        if ex.complete:
            return
        ex.more_body = False
        ex.wake()

    # ------------------------------------------------------------ requests
    def _start(self, ex: Exchange) -> None:
        self.running = ex
        task = ex.task = self.loop.create_task(ex.run(self.app))
        self.tasks.add(task)

    def response_complete(self, ex: Exchange) -> None:
        """Called by the exchange once its last body bytes are written."""
        self.server_state.total_requests += 1
        observer = self.observer
        if observer is not None:
            observer(ex)
        if ex is not self.running:
            return
        self.running = None
        if self.transport.is_closing():
            return
        if self.read_paused:
            self.resume_reading()
        if self.pipeline:
            self._start(self.pipeline.popleft())
        else:
            self.last_active = self.loop.time()

    def shutdown(self) -> None:
        """uvicorn's graceful stop: close idle connections, finish the request in progress."""
        ex = self.running
        if ex is None or ex.complete or (ex.more_body and not ex.started):
            self.transport.close()
            return
        ex.keep_alive = False
        self.pipeline.clear()

    def default_head(self) -> tuple[bytes, int]:
        """The server's default headers (Date) as bytes, rebuilt when uvicorn's tick
        replaces the list, and how many lines they are."""
        source = self.server_state.default_headers
        cache = self._defaults
        if cache[0] is not source:
            cache[1] = b"".join(n + b": " + v + b"\r\n" for n, v in source)
            cache[2] = len(source)
            cache[0] = source
        return cache[1], cache[2]

    # ------------------------------------------------------------ timers
    def _arm(self, when: float) -> None:
        timer = self.timer
        if timer is not None:
            if timer.when() <= when:
                return    # the earlier firing re-checks and re-arms
            timer.cancel()
        self.timer = self.loop.call_at(when, self._check_deadlines)

    def _check_deadlines(self) -> None:
        self.timer = None
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        now = self.loop.time()
        ex = self.current
        if self.lingering:
            due = self.linger_due(now)
            if not due:
                return
        elif self.in_headers and self.header_deadline:
            if now >= self.header_deadline:
                transport.close()     # headers too slow (slowloris)
                return
            due = self.header_deadline
        elif (ex is not None and ex is self.running and ex.more_body and not ex.started
              and not self.read_paused):
            due = self.body_progress + self.body_idle     # its body is arriving
            if now >= due:
                self.body_stalled(ex)
                return
        elif self.running is not None:
            due = now + self.idle_timeout     # busy: not idle
        else:
            due = self.last_active + self.idle_timeout
            if now >= due:
                transport.close()     # idle keep-alive connection
                return
        self._arm(due)

    # ------------------------------------------------------------ flow control
    def pause_reading(self) -> None:
        if not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.read_paused:
            self.read_paused = False
            self.body_progress = self.loop.time()   # a pause of ours is no client stall
            self.transport.resume_reading()

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        self._wake_drains()

    async def drain(self) -> None:
        waiter = self.loop.create_future()
        self.drain_waiters.append(waiter)
        await waiter

    def _wake_drains(self) -> None:
        waiters, self.drain_waiters = self.drain_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


def protocol_class(edge: Edge) -> type[HttpProtocol]:
    """The protocol class for one server: its limits and counters, and its read buffer."""
    return type("WippyHttpProtocol", (HttpProtocol,), {
        "edge": edge,
        "header_timeout": edge.header_timeout,
        "body_idle": edge.body_idle,
        "max_connections": edge.max_connections or sys.maxsize,
        "max_body_buffer": edge.max_body_buffer or sys.maxsize,
        "max_header_bytes": edge.max_header_bytes,
        "max_headers": edge.max_headers,
        "max_uri": edge.max_uri,
        "read_buffer": memoryview(bytearray(READ_BUFFER)),
        # The bound method itself: one attribute lookup less per request.
        "observer": edge.observer.observe if edge.observer is not None else None,
        "_defaults": [None, b"", 0],
    })
