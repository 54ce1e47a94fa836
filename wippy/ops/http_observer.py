"""What happens when an HTTP response is complete: the request series for /metrics and
the access log line (docs/operations.md, "Metrics and health" and "Access log").

The connection (wippy/http/protocol.py) calls `HttpObserver.observe` with the Exchange
once its last bytes are written, only when a server has an observer at all: with
Prometheus off and the access log off (or below the log level) it has none and a
request pays one `is None` test. The app (wippy/http/app.py) sets `exchange.route` to
the matched route pattern, so the `endpoint` label is `/tasks/{id}`, never a raw path.
"""
from __future__ import annotations

import logging
import os
import re
from bisect import bisect_left
from time import perf_counter
from typing import Any

from .series import BUCKETS, Outcomes, families

ACCESS_LOGGER = "wippy.http.access"
UNMATCHED = ""           # the route of a request no route matched (404, 405)
UNMATCHED_LABEL = "(unmatched)"
# An X-Request-Id taken from a client: short, and only characters that need no quoting
# in a log line; anything else is replaced by a fresh id.
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")

access_log = logging.getLogger(ACCESS_LOGGER)
_NONE: dict = {}     # a route not seen yet has no methods


class HttpSeries:
    """Requests of every http.service of this runtime, by service, route, method."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str, str], Outcomes] = {}

    def collect(self):
        items = [(key if key[1] else (key[0], UNMATCHED_LABEL, key[2]), rec)
                 for key, rec in sorted(self.routes.items())]
        yield from families(
            "wippy_http_requests", "HTTP requests answered, by route pattern",
            ["service", "endpoint", "method"], "status",
            "HTTP request duration, from the end of its head to the end of its response",
            "wippy_http_request_duration_seconds", items)


class HttpObserver:
    """One http.service's: `series` is None without Prometheus, `log_access` False when
    the access log is off."""

    __slots__ = ("service", "series", "log_access", "_by_route")

    def __init__(self, service: str, series: HttpSeries | None, log_access: bool):
        self.service = service
        self.series = series
        self.log_access = log_access
        # route -> method -> the record, so a request does two lookups and builds no key
        self._by_route: dict[str, dict[str, Outcomes]] = {}

    def observe(self, ex: Any) -> None:
        """One completed response. Outcomes.add and Timing.observe are written out here:
        two method calls fewer on every request."""
        seconds = perf_counter() - ex.t0
        if self.series is not None:
            method = ex.scope["method"]
            rec = self._by_route.get(ex.route, _NONE).get(method)
            if rec is None:
                rec = self._record(ex.route, method)
            by = rec.by
            status = ex.status
            by[status] = by.get(status, 0) + 1
            timing = rec.timing
            timing.counts[bisect_left(BUCKETS, seconds)] += 1
            timing.total += seconds
        if self.log_access:
            self._log(ex, seconds)

    def _record(self, route: str, method: str) -> Outcomes:
        """The record of a route and method, made on its first request."""
        by_method = self._by_route.setdefault(route, {})
        rec = by_method[method] = self.series.routes.setdefault(
            (self.service, route, method), Outcomes())
        return rec

    def _log(self, ex: Any, seconds: float) -> None:
        scope = ex.scope
        record = access_log.makeRecord(
            ACCESS_LOGGER, logging.INFO, "", 0, "http request", None, None,
            extra={"fields": {"method": scope["method"], "path": scope["path"],
                              "status": ex.status, "bytes": ex.sent,
                              "duration_ms": round(seconds * 1000, 3),
                              "request_id": ex.rid or _request_id(scope)}})
        # handle(), not info(): the caller's file and line (a frame walk) mean nothing here.
        access_log.handle(record)


def _request_id(scope: dict) -> str:
    """The client's (or a proxy's) X-Request-Id when it is short and plain, so one id
    follows the request through; otherwise a fresh one in the runtime's error-id format."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            if _REQUEST_ID.fullmatch(value):
                return value.decode("ascii")
            break
    return os.urandom(16).hex()
