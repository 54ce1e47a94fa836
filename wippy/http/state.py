"""Per-request state shared by the endpoint and the `http` Lua module (`call.http`).

The request part is read-only: method, path, query, headers, the body (read
before the handler runs) and route params; everything derived (parsed query,
header lookups) is computed on first use only.

The response part buffers (docs/decisions.md D4): status and headers stay editable
until the first body write; body chunks are collected and sent when the
handler returns, or earlier by `flush()` (streaming, SSE).
"""
from __future__ import annotations

import itertools
import re
from typing import Any
from urllib.parse import parse_qsl

from ..errors import INVALID, WippyError
from .types import FAST_PATH
from .responses import sniff

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Framing is ours to decide: a handler cannot set these.
_FRAMING = frozenset((b"content-length", b"transfer-encoding"))
NO_BODY_STATUS = frozenset((204, 304))
_tokens = itertools.count(1)


class HttpCall:
    """One HTTP request being handled, and the response being built."""

    __slots__ = ("token", "scope", "body", "params", "send", "content_length", "request_id",
                 "status", "headers", "chunks", "handled", "committed", "started",
                 "transfer", "_query")

    def __init__(self, scope: dict, body: bytes, params: dict[str, str], send: Any,
                 content_length: int = 0):
        self.token = next(_tokens)          # identifies this request to Lua objects
        self.scope = scope
        self.body = body
        self.params = params
        self.send = send
        self.content_length = content_length
        self.request_id: str | None = None
        self.status = 0                       # 0 = not set (200 when sent)
        self.headers: dict[bytes, bytes] | None = None
        self.chunks: list[bytes] | None = None
        self.handled = False                  # the handler produced a response
        self.committed = False                # status/headers frozen (first body write)
        self.started = False                  # response start already sent (streaming)
        self.transfer = ""                    # "", "chunked" or "sse"
        self._query: dict[str, list[str]] | None = None

    # ------------------------------------------------------------ request
    @property
    def method(self) -> str:
        return self.scope["method"]

    @property
    def path(self) -> str:
        return self.scope["path"]

    def header(self, name: str) -> str | None:
        """Case-insensitive lookup (docs/decisions.md D8); repeated headers joined with ", "."""
        key = name.lower().encode("latin-1", "replace")
        found = [v for k, v in self.scope["headers"] if k == key]
        if not found:
            return None
        return ", ".join(v.decode("latin-1") for v in found)

    def header_map(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, v in self.scope["headers"]:
            name, value = k.decode("latin-1"), v.decode("latin-1")
            out[name] = f"{out[name]}, {value}" if name in out else value
        return out

    @property
    def host(self) -> str:
        host = self.header("host")
        if host:
            return host
        server = self.scope.get("server")
        return join_addr(server) if server else ""

    @property
    def remote_addr(self) -> str:
        client = self.scope.get("client")
        return join_addr(client) if client else ""

    def query_values(self) -> dict[str, list[str]]:
        q = self._query
        if q is None:
            q = {}
            raw = self.scope.get("query_string") or b""
            if raw:
                for k, v in parse_qsl(raw.decode("latin-1"), keep_blank_values=True,
                                      encoding="utf-8", errors="replace"):
                    q.setdefault(k, []).append(v)
            self._query = q
        return q

    def query(self, key: str) -> str | None:
        """First value; None if absent; "" if present but empty (`?status=`)."""
        values = self.query_values().get(key)
        return values[0] if values else None

    def query_params(self) -> dict[str, str]:
        return {k: ",".join(v) for k, v in self.query_values().items()}

    @property
    def content_type(self) -> str | None:
        return self.header("content-type")

    def accepts(self, content_type: str) -> bool:
        """True if the Accept header lists the type, its `type/*`, or `*/*`."""
        accept = self.header("accept")
        if not accept:
            return False
        want = content_type.strip().lower()
        family = want.split("/", 1)[0] + "/*"
        for item in accept.split(","):
            media = item.split(";", 1)[0].strip().lower()
            if media in (want, "*/*", family):
                return True
        return False

    def is_content_type(self, prefix: str) -> bool:
        actual = self.content_type
        return bool(actual) and actual.lower().startswith(prefix.lower())

    # ------------------------------------------------------------ response
    def _check_open(self, what: str) -> None:
        if self.committed:
            raise WippyError(f"cannot set {what} after headers are sent"
                             if what != "headers" else "cannot set headers after they are sent",
                             INVALID)

    def set_status(self, code: int) -> None:
        self._check_open("status")
        self.status = code
        self.handled = True

    def set_header(self, name: str, value: str) -> None:
        self._check_open("headers")
        if not _TOKEN.match(name):
            raise WippyError(f"invalid header name {name!r}", INVALID)
        if _BAD_VALUE.search(value):
            raise WippyError(f"invalid value for header {name}: control characters "
                             "(CR, LF, NUL) are not allowed", INVALID)
        key = name.lower().encode("latin-1")
        if key in _FRAMING:
            return  # the server computes framing itself
        if self.headers is None:
            self.headers = {}
        self.headers[key] = value.encode("utf-8")
        self.handled = True

    def set_content_type(self, value: str) -> None:
        self._check_open("content type")
        if _BAD_VALUE.search(value):
            raise WippyError("invalid content type: control characters are not allowed", INVALID)
        if self.headers is None:
            self.headers = {}
        self.headers[b"content-type"] = value.encode("utf-8")

    def set_transfer(self, mode: str) -> None:
        self._check_open("transfer mode")
        self.transfer = mode
        if self.headers is None:
            self.headers = {}
        self.headers[b"cache-control"] = b"no-cache"
        if mode == "sse":
            self.headers[b"content-type"] = b"text/event-stream"

    def write(self, data: bytes) -> None:
        if self.chunks is None:
            self.chunks = [data]
        else:
            self.chunks.append(data)
        self.committed = True
        self.handled = True

    def write_json(self, data: bytes) -> None:
        if not self.committed and (self.headers is None or b"content-type" not in self.headers):
            if self.headers is None:
                self.headers = {}
            self.headers[b"content-type"] = b"application/json"
        self.write(data)

    def write_event(self, name: str, data: bytes) -> None:
        if self.transfer != "sse":
            if self.committed:
                raise WippyError("cannot switch to SSE mode after headers are sent", INVALID)
            self.set_transfer("sse")
        self.write(b"event: " + name.encode("utf-8") + b"\ndata: " + data + b"\n\n")

    # ------------------------------------------------------------ sending
    def _start_message(self, length: int | None) -> dict:
        status = self.status or 200
        hdrs = self.headers
        out: list[tuple[bytes, bytes]] = list(hdrs.items()) if hdrs else []
        if status not in NO_BODY_STATUS and status >= 200:
            if hdrs is None or b"content-type" not in hdrs:
                first = self.chunks[0] if self.chunks else b""
                if first:
                    out.append((b"content-type", sniff(first)))
            if length is not None:
                out.append((b"content-length", str(length).encode()))
        return {"type": "http.response.start", "status": status, "headers": out}

    async def flush(self) -> None:
        """Send what is buffered now; the response continues (chunked)."""
        self.committed = True
        self.handled = True
        if not self.started:
            self.started = True
            await self.send(self._start_message(None))
        chunks, self.chunks = self.chunks, None
        # Always a body message, even empty: the server writes the head with it.
        await self.send({"type": "http.response.body", "body": b"".join(chunks) if chunks else b"",
                         "more_body": True})

    async def finish(self) -> None:
        """Send the rest of the response and end it."""
        chunks = self.chunks
        body = (chunks[0] if len(chunks) == 1 else b"".join(chunks)) if chunks else b""
        if not self.started:
            self.started = True
            status = self.status or 200
            if status in NO_BODY_STATUS or status < 200:
                body = b""
            start = self._start_message(len(body))
            # Our own server takes a whole response in one call (no ASGI messages; types.py).
            fast = self.scope.get(FAST_PATH)
            if fast is not None and fast.respond(start["status"], start["headers"], body):
                return
            await self.send(start)
        await self.send({"type": "http.response.body", "body": body, "more_body": False})


def join_addr(addr: Any) -> str:
    """host:port of an address tuple, IPv6 hosts in brackets."""
    host, port = addr[0], addr[1]
    if ":" in str(host):
        return f"[{host}]:{port}"
    return f"{host}:{port}"
