"""What decides whether a request or a Lua call pays for observation (wippy/ops/observe.py):
with Prometheus off and the access log off or hidden by the log level there is no
observer at all; the engine's call is wrapped only with Prometheus on, and only once."""
from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from wippy.lua.engine import LuaEngine
from wippy.ops import metrics as ops_metrics
from wippy.ops import observe


@pytest.fixture
def restore():
    yield
    ops_metrics.install(None)
    observe.configure(None)
    logging.getLogger().setLevel(logging.WARNING)


def test_nothing_observed_with_metrics_and_access_log_off(restore):
    logging.getLogger().setLevel(logging.INFO)
    observe.configure(SimpleNamespace(access_log=False))
    assert ops_metrics.installed() is None
    assert observe.http_observer("app:gateway") is None
    engine = LuaEngine()
    observe.observe_engine(engine)
    assert "call" not in vars(engine)           # the class's method: no wrapper


def test_access_log_alone_or_hidden_by_the_level(restore):
    observe.configure(SimpleNamespace(access_log=True))
    logging.getLogger().setLevel(logging.INFO)
    obs = observe.http_observer("app:gateway")
    assert obs is not None and obs.log_access and obs.series is None
    logging.getLogger().setLevel(logging.ERROR)  # -s: INFO lines are not written
    assert observe.http_observer("app:gateway") is None


def test_metrics_on_counts_requests_and_wraps_the_engine_once(restore):
    logging.getLogger().setLevel(logging.ERROR)
    ops_metrics.current()                        # a private registry is not "installed"
    assert ops_metrics.installed() is None
    metrics = ops_metrics.Metrics()
    ops_metrics.install(metrics)
    obs = observe.http_observer("app:gateway")
    assert obs is not None and obs.series is metrics.http and not obs.log_access
    engine = LuaEngine()
    observe.observe_engine(engine)
    wrapped = engine.call
    observe.observe_engine(engine)
    assert engine.call is wrapped and getattr(wrapped, "observed", False)
