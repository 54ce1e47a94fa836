"""Counts the runtime keeps on its hot paths (HTTP requests, Lua calls) when Prometheus is
on, as plain integers written by the event loop thread, turned into metric families only
when /metrics is scraped (docs/operations.md, "Metrics and health").

Why not prometheus_client's Counter and Histogram children: each `inc()`/`observe()` takes
a lock and walks the bucket list in Python, about 2 µs per request for a counter plus a
histogram, against well under 1 µs here (one bisect and two integer adds). Everything
written here is written on the loop thread, so no lock is needed; a scrape, also on the
loop, reads a consistent picture.
"""
from __future__ import annotations

from bisect import bisect_left
from math import inf
from typing import Iterable

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

# Upper bounds in seconds: Prometheus' defaults with three finer steps below 5 ms, where
# most requests and calls of this runtime end.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
           10.0)
_LE = tuple(floatToGoString(b) for b in (*BUCKETS, inf))


class Timing:
    """One histogram child: a count per bucket (not cumulative) and the sum."""

    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        # Prometheus buckets are `le` (less or equal): bisect_left finds the first bound
        # that is >= seconds; past the last bound it is the +Inf slot.
        self.counts[bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds

    def add_to(self, family: HistogramMetricFamily, labels: list[str]) -> None:
        running = 0
        buckets = []
        for le, count in zip(_LE, self.counts):
            running += count
            buckets.append((le, running))
        family.add_metric(labels, buckets, self.total)


class Outcomes:
    """A counter split by one more label (a status, an outcome) plus one duration
    histogram: the per-label-set record of HTTP requests and of Lua calls."""

    __slots__ = ("by", "timing")

    def __init__(self) -> None:
        self.by: dict = {}
        self.timing = Timing()

    def add(self, key: object, seconds: float) -> None:
        by = self.by
        by[key] = by.get(key, 0) + 1
        self.timing.observe(seconds)


def families(name: str, doc: str, labels: list[str], split: str, duration_doc: str,
             duration_name: str, items: Iterable[tuple[tuple[str, ...], Outcomes]]):
    """`<name>_total{labels…, split}` and `<duration_name>{labels…}` from recorded items."""
    counter = CounterMetricFamily(name, doc, labels=[*labels, split])
    histogram = HistogramMetricFamily(duration_name, duration_doc, labels=labels)
    for values, rec in items:
        for key, count in sorted(rec.by.items(), key=lambda kv: str(kv[0])):
            counter.add_metric([*values, str(key)], float(count))
        rec.timing.add_to(histogram, list(values))
    return counter, histogram
