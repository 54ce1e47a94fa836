"""The request head on an HTTP/1.1 connection: the parser callbacks that collect the
target and the headers, and the limits on them (a mixin of `HttpProtocol`).

httptools buffers a header line whole before `on_header` sees it, so the size of
a head still arriving is bounded from the reads instead: the bytes of the
reads after the one where the head began are all head, and once they pass
`max_header_bytes` the request is answered 431 without waiting for the rest.
A complete head is measured exactly, but only when the reads it came in were
bigger than the limit: a usual request pays an addition and a comparison.
"""
from __future__ import annotations

from typing import Any

from .edge import DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_HEADERS, DEFAULT_MAX_URI

# (status line, plain-text body, log message) of the answers to a bad head
BAD_REQUEST = (b"HTTP/1.1 400 Bad Request\r\n", "Invalid HTTP request received.",
               "invalid HTTP request received")
TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
             "431 Request Header Fields Too Large", "request head too large")
URI_TOO_LONG = (b"HTTP/1.1 414 URI Too Long\r\n", "414 URI Too Long", "request URI too long")
NO_HOST = (b"HTTP/1.1 400 Bad Request\r\n", "400 Bad Request: missing required Host header",
           "HTTP/1.1 request without a Host header")
TWO_HOSTS = (b"HTTP/1.1 400 Bad Request\r\n", "400 Bad Request: too many Host headers",
             "request with more than one Host header")


class Rejected(Exception):
    """Raised in a parser callback to stop parsing; `reject` says what to answer."""


class Head:
    """Head callbacks and limits, for `HttpProtocol` (which copies the limits in)."""

    max_header_bytes = DEFAULT_MAX_HEADER_BYTES
    max_headers = DEFAULT_MAX_HEADERS
    max_uri = DEFAULT_MAX_URI
    in_headers: bool
    header_deadline: float
    header_timeout: float
    loop: Any

    def on_message_begin(self) -> None:
        self.in_headers = True
        self.header_deadline = 0.0
        self.head_bytes = 0
        self.url = b""
        self.headers = []
        self.host_seen = False
        self.expect_continue = False

    def on_url(self, url: bytes) -> None:
        self.url += url      # called once per read the target spans
        if len(self.url) > self.max_uri:
            self.reject_head(URI_TOO_LONG)

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"host":
            if self.host_seen:
                self.reject_head(TWO_HOSTS)
            self.host_seen = True
        elif name == b"expect" and value.lower() == b"100-continue":
            self.expect_continue = True
        self.headers.append((name, value))

    def reject_head(self, answer: tuple[bytes, str, str]) -> None:
        self.reject = answer
        raise Rejected

    def measure_head(self) -> None:
        """At the end of a head whose reads were bigger than max_header_bytes, or that
        has too many headers: reject it if it is over a limit."""
        headers = self.headers
        if len(headers) > self.max_headers:
            self.reject_head(TOO_LARGE)
        size = len(self.url) + 16 + sum(len(n) + len(v) + 4 for n, v in headers)
        if size > self.max_header_bytes:
            self.reject_head(TOO_LARGE)

    def head_arriving(self, nbytes: int) -> None:
        """After a read that ended inside a head: start its deadline, or bound its size."""
        if not self.header_deadline:          # the read where this head began
            self.header_deadline = self.loop.time() + self.header_timeout
            self._arm(self.header_deadline)
            self.head_bytes = self.head_first = nbytes
            return
        self.head_bytes += nbytes
        if self.head_bytes - self.head_first > self.max_header_bytes:
            self.reject = TOO_LARGE
            self._bad_request()
