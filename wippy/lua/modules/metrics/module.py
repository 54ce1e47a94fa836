"""The Lua `metrics` module (docs/modules/metrics.md): application counters, gauges and
histograms, served with the runtime's series at /metrics (docs/operations.md).

    local metrics = require("metrics")
    local ok, err = metrics.counter_inc("orders_total", {status = "paid"})
    metrics.histogram("checkout_seconds", 0.42)

Every function returns `true` or `(nil, err)`: INVALID for a bad name, a bad value, a
metric used with another kind or other label names, or a new label set past the limit
(wippy/ops/metrics.py, MAX_LABEL_SETS).
"""
from __future__ import annotations

from ....errors import INVALID, WippyError
from ....ops import metrics as ops_metrics
from ..base import LuaModule


def _number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise WippyError(f"value must be a number, got {type(value).__name__}", INVALID,
                         retryable=False)
    return float(value)


class MetricsModule(LuaModule):
    name = "metrics"
    lua = """
    return function(host, lib)
        local record = host.record
        return {
            counter_inc = function(name, labels) return record("inc", name, 1, labels) end,
            counter_add = function(name, value, labels)
                return record("add", name, value, labels) end,
            gauge_set = function(name, value, labels)
                return record("set", name, value, labels) end,
            gauge_inc = function(name, labels) return record("ginc", name, 1, labels) end,
            gauge_dec = function(name, labels) return record("gdec", name, 1, labels) end,
            histogram = function(name, value, labels)
                return record("observe", name, value, labels) end,
        }
    end
    """

    def host_functions(self):
        def record(call, op, name, value=None, labels=None):
            value = _number(value)
            labels = call.from_lua(labels) if labels is not None else None
            app = ops_metrics.current().app
            if op in ("inc", "add"):
                if value < 0:
                    raise WippyError("a counter only goes up: value must be >= 0", INVALID,
                                     retryable=False)
                app.child("counter", name, labels).inc(value)
            elif op == "set":
                app.child("gauge", name, labels).set(value)
            elif op == "ginc":
                app.child("gauge", name, labels).inc()
            elif op == "gdec":
                app.child("gauge", name, labels).dec()
            else:
                app.child("histogram", name, labels).observe(value)
            return True

        return {"record": record}
