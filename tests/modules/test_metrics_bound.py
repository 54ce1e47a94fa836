"""The label-cardinality bound of application metrics (wippy/ops/metrics.py)."""
import pytest

from wippy.errors import WippyError
from wippy.ops.metrics import MAX_LABEL_SETS, Metrics


def test_new_label_sets_past_the_limit_are_refused_known_ones_still_record():
    metrics = Metrics()
    app = metrics.app
    for i in range(MAX_LABEL_SETS):
        app.child("counter", "hits_total", {"user": str(i)}).inc()
    with pytest.raises(WippyError) as err:
        app.child("counter", "hits_total", {"user": "one-too-many"})
    assert "1000 label sets (the limit)" in err.value.message
    app.child("counter", "hits_total", {"user": "7"}).inc(2)
    text = metrics.render().decode()
    assert 'hits_total{user="7"} 3.0' in text
    assert "one-too-many" not in text
    assert text.count("hits_total{") == MAX_LABEL_SETS


def test_the_limit_is_per_metric():
    metrics = Metrics()
    metrics.app.max_label_sets = 2
    for name in ("a_total", "b_total"):
        for i in range(2):
            metrics.app.child("counter", name, {"k": str(i)}).inc()
    with pytest.raises(WippyError):
        metrics.app.child("counter", "a_total", {"k": "2"})


def test_the_runtime_prefix_is_reserved():
    with pytest.raises(WippyError) as err:
        Metrics().app.child("gauge", "wippy_service_up", None)
    assert "reserved" in err.value.message


def test_new_metric_names_past_the_limit_are_refused():
    from wippy.ops.metrics import MAX_METRICS
    app = Metrics().app
    for i in range(MAX_METRICS):
        app.child("gauge", f"g{i}", None).set(1)
    with pytest.raises(WippyError) as err:
        app.child("gauge", "one_more", None)
    assert "(the limit)" in err.value.message
    app.child("gauge", "g5", None).set(2)   # known names still record
