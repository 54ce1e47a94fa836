"""The Prometheus registry of one runtime: application metrics from the Lua `metrics`
module, runtime series read at scrape time, and the HTTP request and Lua call series
counted on the hot paths (series.py, http_observer.py, lua_series.py; docs/operations.md,
"Metrics and health").

Scrape-time collection keeps hot paths free of metric work where the runtime keeps the
counts anyway: the supervisor keeps each service's state and start count, so the
collector reads `status()` when Prometheus asks, instead of counting on every event.
"""
from __future__ import annotations

import re
import threading
from typing import Any, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, CounterMetricFamily

from ..errors import INVALID, WippyError

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Label sets one application metric may have; past it new sets are refused, so a label
# fed from user input (an id, a path) cannot grow the process without bound.
MAX_LABEL_SETS = 1000
MAX_METRICS = 1000      # distinct application metric names, for the same reason
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
_KINDS = {"counter": Counter, "gauge": Gauge, "histogram": Histogram}


def _invalid(message: str) -> WippyError:
    return WippyError(message, INVALID, retryable=False)


class AppMetrics:
    """Metrics the application records from Lua, by name: one kind and one set of label
    names per metric (the first use fixes them, as Prometheus requires)."""

    def __init__(self, registry: CollectorRegistry, max_label_sets: int = MAX_LABEL_SETS):
        self.registry = registry
        self.max_label_sets = max_label_sets
        self._metrics: dict[str, tuple[str, tuple[str, ...], Any, set]] = {}
        self._lock = threading.Lock()   # host functions may run on Lua worker threads

    def child(self, kind: str, name: str, labels: dict | None) -> Any:
        if not isinstance(name, str) or not _NAME.match(name):
            raise _invalid(f"metric name {name!r} is not a valid Prometheus name "
                           "([a-zA-Z_:][a-zA-Z0-9_:]*)")
        if name.startswith("wippy_"):
            raise _invalid(f"metric name {name!r}: the wippy_ prefix is reserved for the "
                           "runtime's own series")
        labels = labels or {}
        if not isinstance(labels, dict):
            raise _invalid("labels must be a table of name = value")
        for key in labels:
            if not isinstance(key, str) or not _LABEL.match(key) or key.startswith("__"):
                raise _invalid(f"label name {key!r} is not a valid Prometheus label name")
        names = tuple(sorted(labels))
        values = tuple(str(labels[k]) for k in names)
        with self._lock:
            known = self._metrics.get(name)
            if known is None:
                if len(self._metrics) >= MAX_METRICS:
                    raise _invalid(f"already {len(self._metrics)} application metrics (the "
                                   f"limit); refusing a new one, {name!r}")
                try:
                    metric = _KINDS[kind](name, f"application metric {name}", names,
                                          registry=self.registry)
                except ValueError as exc:   # clashes with a runtime series name
                    raise _invalid(f"metric {name!r}: {exc}") from None
                known = self._metrics[name] = (kind, names, metric, set())
            have_kind, have_names, metric, seen = known
            if have_kind != kind:
                raise _invalid(f"metric {name!r} is a {have_kind}, not a {kind}")
            if have_names != names:
                raise _invalid(f"metric {name!r} has labels ({', '.join(have_names)}), "
                               f"got ({', '.join(names)})")
            if values not in seen:
                if len(seen) >= self.max_label_sets:
                    raise _invalid(f"metric {name!r} already has {len(seen)} label sets "
                                   f"(the limit); refusing a new one")
                seen.add(values)
        return metric.labels(*values) if names else metric


class RuntimeCollector:
    """Series read when Prometheus scrapes, from counts the runtime keeps anyway:
    supervised services (state, restarts), queues (driver counts; published, retry and
    dead-letter counts), consumers (busy workers, acked, nacked), SQLite databases (queues
    of the writer and readers, commit groups: Database.stats()) and process hosts
    (running, spawned, exited)."""

    def __init__(self, status: Callable[[], dict[str, dict[str, Any]]],
                 objects: Callable[[], dict[str, Any]] = dict):
        self._status = status
        self._objects = objects

    def describe(self) -> list:
        return []   # no fixed list: the registry should not call collect() at register

    def collect(self):
        yield from self._services()
        objects = dict(self._objects())
        yield from _queues(objects)
        yield from _databases(objects)
        yield from _processes(objects)

    def _services(self):
        up = GaugeMetricFamily("wippy_service_up",
                               "1 when the supervised service is running, else 0",
                               labels=["service", "state"])
        restarts = CounterMetricFamily("wippy_service_restarts",
                                       "starts of the service after its first",
                                       labels=["service"])
        for sid, st in sorted(self._status().items()):
            up.add_metric([sid, st["state"]], 1.0 if st["state"] == "running" else 0.0)
            restarts.add_metric([sid], float(max(st.get("starts", 0) - 1, 0)))
        yield up
        yield restarts


def _queues(objects: dict[str, Any]):
    from ..queue.consumer import Consumer
    from ..queue.queue import Queue
    gauges = {key: GaugeMetricFamily(f"wippy_queue_{key}", doc, labels=["queue"])
              for key, doc in (("ready", "messages ready for delivery (the queue depth)"),
                               ("delayed", "messages waiting for a retry backoff"),
                               ("in_flight", "messages delivered and not yet settled"))}
    counters = {key: CounterMetricFamily(f"wippy_queue_{key}", doc, labels=["queue"])
                for key, doc in (("published", "messages accepted by the queue"),
                                 ("acked", "messages a consumer acknowledged"),
                                 ("nacked", "messages a consumer's handler failed"),
                                 ("retried", "failed messages scheduled again after backoff"),
                                 ("dead_lettered", "messages moved to the dead-letter queue"))}
    busy = GaugeMetricFamily("wippy_consumer_busy_workers",
                             "workers running the handler now", labels=["consumer"])
    workers = GaugeMetricFamily("wippy_consumer_workers",
                                "the consumer's concurrency", labels=["consumer"])
    settled: dict[str, list[float]] = {}
    for eid, obj in sorted(objects.items()):
        if isinstance(obj, Consumer):
            stats = obj.stats()
            busy.add_metric([eid], float(stats["in_flight"]))
            workers.add_metric([eid], float(obj.concurrency))
            counts = settled.setdefault(obj.queue.id, [0.0, 0.0])
            counts[0] += stats["acked"]
            counts[1] += stats["nacked"]
    for eid, obj in sorted(objects.items()):
        if not isinstance(obj, Queue):
            continue
        try:
            info = obj.info()
        except WippyError:     # a closed or unreachable queue: no depth to report
            info = {}
        for key, family in gauges.items():
            if key in info:
                family.add_metric([eid], float(info[key]))
        acked, nacked = settled.get(eid, (0.0, 0.0))
        counters["published"].add_metric([eid], float(obj.published))
        counters["acked"].add_metric([eid], acked)
        counters["nacked"].add_metric([eid], nacked)
        counters["retried"].add_metric([eid], float(obj.retried))
        counters["dead_lettered"].add_metric([eid], float(obj.dead_lettered))
    yield from gauges.values()
    yield from counters.values()
    yield busy
    yield workers


_DB_GAUGES = (("write_queue", "writes waiting for the writer thread"),
              ("read_queue", "reads waiting for a reader thread"),
              ("in_use", "connections running a statement now"))
_DB_COUNTERS = (("commit_groups", "commits that carried more than one write"),
                ("grouped_writes", "writes committed in those grouped commits"),
                ("wait_count", "writes that waited behind a transaction"))


def _databases(objects: dict[str, Any]):
    from ..sql.database import Database
    gauges = [GaugeMetricFamily(f"wippy_sqlite_{key}", doc, labels=["database"])
              for key, doc in _DB_GAUGES]
    counters = [CounterMetricFamily(f"wippy_sqlite_{key}", doc, labels=["database"])
                for key, doc in _DB_COUNTERS]
    for eid, obj in sorted(objects.items()):
        if isinstance(obj, Database):
            stats = obj.stats()
            for (key, _), family in zip(_DB_GAUGES + _DB_COUNTERS, gauges + counters):
                family.add_metric([eid], float(stats.get(key, 0)))
    yield from gauges
    yield from counters


def _processes(objects: dict[str, Any]):
    from ..process.host import ProcessHost
    running = GaugeMetricFamily("wippy_processes", "processes running on the host now",
                                labels=["host"])
    spawned = CounterMetricFamily("wippy_processes_spawned", "processes started",
                                  labels=["host"])
    exited = CounterMetricFamily("wippy_processes_exited",
                                 "processes that ended: ok, error (failed) or killed "
                                 "(terminated or cancelled by the host)",
                                 labels=["host", "outcome"])
    for eid, obj in sorted(objects.items()):
        if isinstance(obj, ProcessHost):
            running.add_metric([eid], float(len(obj.procs)))
            spawned.add_metric([eid], float(obj.spawned))
            for outcome, count in sorted(obj.exits.items()):
                exited.add_metric([eid, outcome], float(count))
    yield running
    yield spawned
    yield exited


class _HotPaths:
    """The series counted per request and per call (series.py), for the registry."""

    def __init__(self, *sources: Any):
        self.sources = sources

    def describe(self) -> list:
        return []

    def collect(self):
        for source in self.sources:
            yield from source.collect()


class Metrics:
    """The registry one `wippy run` serves at /metrics."""

    def __init__(self, status: Callable[[], dict[str, dict[str, Any]]] = dict,
                 objects: Callable[[], dict[str, Any]] = dict):
        from .http_observer import HttpSeries
        from .lua_series import LuaSeries
        self.registry = CollectorRegistry(auto_describe=False)
        self.app = AppMetrics(self.registry)
        self.http = HttpSeries()
        self.lua = LuaSeries()
        self.registry.register(RuntimeCollector(status, objects))
        self.registry.register(_HotPaths(self.http, self.lua))
        self.served = False     # set by install(): a listener serves this registry

    def render(self) -> bytes:
        return generate_latest(self.registry)


_current: Metrics | None = None


def install(metrics: Metrics | None) -> None:
    """Make `metrics` the one the Lua module records into (one runtime per process)."""
    global _current
    if metrics is not None:
        metrics.served = True
    _current = metrics


def installed() -> Metrics | None:
    """The registry /metrics serves, or None when Prometheus is off: then the runtime
    keeps no request or call series at all."""
    return _current if _current is not None and _current.served else None


def current() -> Metrics:
    """The installed registry; without one (prometheus off, a bare engine) a private one,
    so application code records the same way whether or not anything scrapes it."""
    global _current
    if _current is None:
        _current = Metrics()
    return _current
