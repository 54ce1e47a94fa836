"""Lua calls by entry and outcome, with their duration (docs/operations.md, "Metrics and
health"): every call the engine runs (HTTP handlers, consumers, processes, `funcs`).

With Prometheus on, `observe_engine` puts a wrapper in front of the engine's `call` (an
attribute of that one engine); with it off the engine is left as it is and a call pays
nothing. The wrapper adds one `perf_counter` pair and one record per call.
"""
from __future__ import annotations

import asyncio
from bisect import bisect_left
from time import perf_counter
from typing import Any

from ..errors import TIMEOUT
from .series import BUCKETS, Outcomes, families

OK, ERROR, RAISED, TIMED_OUT, CANCELLED, INTERNAL = (
    "ok", "error", "raised", "timeout", "cancelled", "internal")


def outcome_of(result: Any) -> str:
    """ok: no error; error: returned `nil, err`; timeout: stopped at its deadline;
    raised: any other error thrown (`error(...)`, a runtime error)."""
    err = result.error
    if err is None:
        return OK
    if not result.raised:
        return ERROR
    return TIMED_OUT if err.kind == TIMEOUT else RAISED


class LuaSeries:
    def __init__(self) -> None:
        self.entries: dict[str, Outcomes] = {}

    def _record(self, entry_id: str, outcome: str, seconds: float) -> None:
        rec = self.entries.get(entry_id)
        if rec is None:
            rec = self.entries[entry_id] = Outcomes()
        rec.add(outcome, seconds)

    def wrap(self, call: Any) -> Any:
        """The engine's bound `call`, timed and counted (same signature). The usual path,
        a call that ends, records inline: no method call per call beyond the engine's."""
        record = self._record
        entries = self.entries

        async def observed(fdef: Any, args: Any = (), *, http: Any = None,
                           delivery: Any = None, budget: float | None = None,
                           extras: dict | None = None) -> Any:
            t0 = perf_counter()
            try:
                result = await call(fdef, args, http=http, delivery=delivery, budget=budget,
                                    extras=extras)
            except asyncio.CancelledError:
                record(fdef.entry_id, CANCELLED, perf_counter() - t0)
                raise
            except BaseException:
                record(fdef.entry_id, INTERNAL, perf_counter() - t0)
                raise
            seconds = perf_counter() - t0
            rec = entries.get(fdef.entry_id)
            if rec is None:
                rec = entries[fdef.entry_id] = Outcomes()
            outcome = OK if result.error is None else outcome_of(result)
            by = rec.by
            by[outcome] = by.get(outcome, 0) + 1
            timing = rec.timing
            timing.counts[bisect_left(BUCKETS, seconds)] += 1
            timing.total += seconds
            return result
        observed.observed = True   # type: ignore[attr-defined]
        return observed

    def collect(self):
        yield from families(
            "wippy_lua_calls", "Lua function calls, by entry and outcome",
            ["entry"], "outcome", "Lua call duration, including every wait inside it",
            "wippy_lua_call_duration_seconds",
            (((eid,), rec) for eid, rec in sorted(self.entries.items())))
