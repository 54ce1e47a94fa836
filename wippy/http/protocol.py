"""uvicorn's httptools protocol with two deadlines it lacks (reliability finding 3),
and a shutdown that does not wait for request bodies that never arrive.

* A connection that opens and sends nothing is closed after the idle timeout
  (uvicorn only arms that timer after a first response).
* Request headers must arrive within `header_timeout` of their first byte; a
  client trickling header bytes (slowloris) is disconnected.

* On shutdown, a connection whose request body is still arriving is closed at
  once: handlers run only after the whole body is read, so nothing is in
  flight there, and a stalled upload would otherwise hold the grace period.

The header timer is armed only when a `data_received` ends in the middle of
the headers, so a normal request costs two attribute writes.
"""
from __future__ import annotations

from typing import Any

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is a declared dependency
    HttpToolsProtocol = None  # type: ignore[assignment,misc]


def guarded_protocol(header_timeout: float) -> Any:
    """A protocol class for uvicorn's `Config(http=...)`, or "h11" without httptools."""
    if HttpToolsProtocol is None:  # pragma: no cover
        return "h11"

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        def connection_made(self, transport: Any) -> None:
            self._in_headers = False
            self._header_timer = None
            super().connection_made(transport)
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler)

        def on_message_begin(self) -> None:
            self._in_headers = True
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            self._in_headers = False
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None
            super().on_headers_complete()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._in_headers and self._header_timer is None and self.transport is not None:
                self._header_timer = self.loop.call_later(header_timeout, self._headers_too_slow)

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if self._in_headers and not self.transport.is_closing():
                self.transport.close()

        def shutdown(self) -> None:
            cycle = self.cycle
            if cycle is not None and cycle.more_body and not cycle.response_started:
                self.transport.close()
                return
            super().shutdown()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None
            super().connection_lost(exc)

    return GuardedHttpToolsProtocol
