"""The operations listener (`.wippy.yaml` `prometheus: {enabled, address}`): GET /metrics
(Prometheus text format), /health and /livez (the process answers; /livez is the path Wippy
documents, en/guides/observability.md) and /ready (services up), on an
address of its own so scrapes and probes never queue behind application traffic
(docs/operations.md).

It is a deliberately small HTTP/1.1 server: one request per connection, GET or HEAD
only, and it answers "Connection: close". Probes and scrapers need nothing more, and it
starts before the runtime so /health and /ready answer during a slow boot.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Callable

from ..logs import fields
from .metrics import CONTENT_TYPE, Metrics

log = logging.getLogger("wippy.ops")
HEAD_LIMIT = 8192          # bytes of request head we read; a probe's is far smaller
READ_TIMEOUT = 10.0        # seconds a client may take to send its request head
Readiness = Callable[[], "tuple[bool, dict[str, dict[str, Any]]]"]


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return (host.strip("[]") or "0.0.0.0"), int(port)


class OpsListener:
    def __init__(self, metrics: Metrics, readiness: Readiness):
        self.metrics = metrics
        self.readiness = readiness
        self._server: asyncio.AbstractServer | None = None

    async def start(self, address: str) -> None:
        host, port = split_address(address)
        self._server = await asyncio.start_server(self._serve, host, port)
        bound = self._server.sockets[0].getsockname()
        log.info("metrics and health listening",
                 extra=fields(address=f"{bound[0]}:{bound[1]}"))

    @property
    def port(self) -> int:
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    asyncio.TimeoutError, ConnectionError):
                return
            if len(head) > HEAD_LIMIT:
                return
            parts = head.split(b"\r\n", 1)[0].split()
            method, target = (parts[0], parts[1]) if len(parts) == 3 else (b"", b"")
            status, ctype, body = self.answer(method, target.split(b"?", 1)[0])
            writer.write(b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n" % (
                             status, _REASONS[status], ctype.encode(), len(body)))
            if method != b"HEAD":
                writer.write(body)
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    def answer(self, method: bytes, path: bytes) -> tuple[int, str, bytes]:
        """(status, content type, body) for one request; the ops page answers these
        paths through it too (ops/page/app.py)."""
        if method not in (b"GET", b"HEAD"):
            return 405, "text/plain", b"method not allowed: use GET\n"
        if path == b"/metrics":
            return 200, CONTENT_TYPE, self.metrics.render()
        if path in (b"/health", b"/livez"):
            return 200, "application/json", b'{"status":"ok"}\n'
        if path == b"/ready":
            ready, services = self.readiness()
            body = json.dumps({"status": "ready" if ready else "not ready",
                               "services": services}, sort_keys=True).encode() + b"\n"
            return (200 if ready else 503), "application/json", body
        return 404, "text/plain", b"not found: /metrics, /health, /livez and /ready are served here\n"


_REASONS = {200: b"OK", 404: b"Not Found", 405: b"Method Not Allowed",
            503: b"Service Unavailable"}
