"""Which observation this runtime does on its hot paths, decided once when a server or
the Lua engine starts (docs/operations.md): the request and call series when Prometheus
is on (wippy/ops/serve.py installs the registry), and the access log unless
`.wippy.yaml` says `logger: {access_log: false}` or the log level hides INFO lines.
"""
from __future__ import annotations

import logging
from typing import Any

from . import metrics as ops_metrics
from .http_observer import HttpObserver, access_log

_access_log = True     # logger.access_log; on unless the project turns it off


def configure(settings: Any) -> None:
    """Take `logger.access_log` from the project's settings (None: the default, on)."""
    global _access_log
    value = getattr(settings, "access_log", None)
    _access_log = True if value is None else bool(value)


def http_observer(service_id: str) -> HttpObserver | None:
    """The observer for one http.service, or None when there is nothing to observe."""
    metrics = ops_metrics.installed()
    series = metrics.http if metrics is not None else None
    log_access = _access_log and access_log.isEnabledFor(logging.INFO)
    if series is None and not log_access:
        return None
    return HttpObserver(service_id, series, log_access)


def observe_engine(engine: Any) -> None:
    """Count and time the engine's Lua calls when Prometheus is on."""
    metrics = ops_metrics.installed()
    if metrics is not None and not getattr(engine.call, "observed", False):
        engine.call = metrics.lua.wrap(engine.call)
