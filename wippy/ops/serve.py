"""Run the operations listener around one runtime, when `.wippy.yaml` enables it."""
from __future__ import annotations

import contextlib
from typing import Any, AsyncIterator

from ..errors import ConfigError, ConfigErrors
from . import metrics as ops_metrics
from .observe import configure as configure_observation
from .listener import OpsListener


def _readiness(runtime: Any):
    def readiness():
        supervisor = runtime.supervisor
        if supervisor is None:   # still building entries (migrations, databases)
            return False, {}
        return supervisor.readiness()
    return readiness


def check_project(settings: Any) -> None:
    """`wippy check`: the ops page settings `ops_listener` refuses at `wippy run` (it needs
    the prometheus listener, on loopback unless allowed), raised as ConfigErrors."""
    if settings is not None and getattr(settings, "ops_enabled", False):
        from .page.server import check_settings
        try:
            check_settings(settings)
        except ConfigError as err:
            raise ConfigErrors([err]) from None


@contextlib.asynccontextmanager
async def ops_listener(settings: Any, runtime: Any) -> AsyncIterator[Any]:
    """Yields the listener (None when prometheus is off); it opens before the runtime
    starts, so /health and /ready answer during boot, and closes after it stopped.
    With `ops.enabled` it serves the ops page too (wippy/ops/page/)."""
    configure_observation(settings)   # the access log switch, read when servers start
    page = settings is not None and getattr(settings, "ops_enabled", False)
    if page:
        from .page.server import check_settings
        check_settings(settings)
    if settings is None or not settings.prometheus_enabled:
        yield None
        return
    metrics = ops_metrics.Metrics(runtime.status, lambda: runtime.objects)
    ops_metrics.install(metrics)
    listener = OpsListener(metrics, _readiness(runtime))
    if page:
        from .page.server import PageListener
        listener = PageListener(listener, runtime, settings.ops_allow_remote)
    try:
        await listener.start(settings.prometheus_address)
    except OSError as exc:
        ops_metrics.install(None)
        raise ConfigError(f"prometheus.address {settings.prometheus_address}: cannot listen "
                          f"({exc.strerror or exc}); choose a free port in .wippy.yaml") from None
    try:
        yield listener
    finally:
        await listener.close()
        ops_metrics.install(None)
