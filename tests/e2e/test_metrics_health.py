"""`.wippy.yaml` `prometheus: {enabled, address}`: /metrics, /health and /ready on a
listener of their own, and the Lua `metrics` module, against a real `wippy run`."""
from __future__ import annotations


import httpx

from .conftest import WippyProcess, free_port, wait_until
from .test_boot_order import SLOW_MIGRATION, require_migration

RECORD = """local http = require("http")
local metrics = require("metrics")

local function handler()
    local req = http.request()
    local res = http.response()
    local kind = req:query("kind") or "paid"
    local results = {}
    local function note(ok, err)
        results[#results + 1] = ok and "ok" or (err:kind() .. ": " .. tostring(err))
    end
    note(metrics.counter_inc("shop_orders_total", {status = kind}))
    note(metrics.counter_add("shop_bytes_total", 1024, {direction = "out"}))
    note(metrics.gauge_set("shop_queue_depth", 42, {queue = "emails"}))
    note(metrics.gauge_inc("shop_connections", {pool = "db"}))
    note(metrics.gauge_inc("shop_connections", {pool = "db"}))
    note(metrics.gauge_dec("shop_connections", {pool = "db"}))
    note(metrics.histogram("shop_checkout_seconds", 0.123, {method = "GET"}))
    note(metrics.counter_inc("bad name"))
    note(metrics.gauge_set("shop_orders_total", 1, {status = kind}))
    note(metrics.counter_inc("shop_orders_total", {other = "x"}))
    note(metrics.counter_add("shop_bytes_total", -1, {direction = "out"}))
    res:write_json(results)
end

return { handler = handler }
"""

ENTRIES = """
  - name: record
    kind: function.lua
    source: file://record.lua
    method: handler
    modules:
      - http
      - metrics

  - name: record.endpoint
    kind: http.endpoint
    meta:
      router: app:router
    method: GET
    path: /record
    func: app:record
"""


def enable(project, ops_port: int) -> None:
    (project / ".wippy.yaml").write_text(
        f"prometheus:\n  enabled: true\n  address: 127.0.0.1:{ops_port}\n")
    index = project / "src" / "_index.yaml"
    index.write_text(index.read_text().rstrip("\n") + "\n" + ENTRIES)
    (project / "src" / "record.lua").write_text(RECORD)


def series(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def test_health_and_ready_during_a_slow_boot_and_after(project):
    require_migration(project, SLOW_MIGRATION)
    ops = free_port()
    enable(project, ops)
    proc = WippyProcess(project, free_port())
    base = f"http://127.0.0.1:{ops}"
    try:
        def answers():
            if proc.proc.poll() is not None:
                raise AssertionError(proc.logs)
            try:
                return httpx.get(f"{base}/ready", timeout=5)
            except httpx.TransportError:
                return None
        early = wait_until(answers, 20, message="the ops listener answers")
        # The migration sleeps 1.5 s: the first answer comes while it runs.
        assert early.status_code == 503, early.text
        assert early.json()["status"] == "not ready"
        assert httpx.get(f"{base}/health", timeout=5).json() == {"status": "ok"}
        assert httpx.get(f"{base}/livez", timeout=5).json() == {"status": "ok"}   # Wippy's path
        assert not any("runtime ready" in line for line in proc.lines)
        proc.wait_ready()
        ready = httpx.get(f"{base}/ready", timeout=5)
        assert ready.status_code == 200, ready.text
        body = ready.json()
        assert body["status"] == "ready"
        assert body["services"]["app:migrate-service"] == {"state": "exited", "required": True}
        assert body["services"]["app:gateway"] == {"state": "running", "required": True}
        assert httpx.get(f"{base}/nope", timeout=5).status_code == 404
        assert httpx.post(f"{base}/metrics", timeout=5).status_code == 405
    finally:
        proc.stop()


def test_metrics_scraped_after_requests_and_lua_metrics(project):
    ops = free_port()
    enable(project, ops)
    proc = WippyProcess(project, free_port())
    try:
        proc.wait_ready()
        with httpx.Client(base_url=proc.url, timeout=10) as c:
            first = c.get("/record", params={"kind": "paid"}).json()
            c.get("/record", params={"kind": "paid"})
            c.get("/record", params={"kind": "refunded"})
        assert first[:7] == ["ok"] * 7, first
        assert first[7].startswith("Invalid: metric name 'bad name'"), first
        assert first[8].startswith("Invalid: metric 'shop_orders_total' is a counter"), first
        assert first[9].startswith("Invalid: metric 'shop_orders_total' has labels (status)")
        assert first[10].startswith("Invalid: a counter only goes up"), first
        scrape = httpx.get(f"http://127.0.0.1:{ops}/metrics", timeout=5)
        assert scrape.status_code == 200
        assert scrape.headers["content-type"].startswith("text/plain; version=0.0.4")
        got = series(scrape.text)
        assert got['shop_orders_total{status="paid"}'] == 2
        assert got['shop_orders_total{status="refunded"}'] == 1
        assert got['shop_bytes_total{direction="out"}'] == 3072
        assert got['shop_queue_depth{queue="emails"}'] == 42
        assert got['shop_connections{pool="db"}'] == 3   # +2 -1, three times
        assert got['shop_checkout_seconds_count{method="GET"}'] == 3
        assert got['shop_checkout_seconds_bucket{le="0.25",method="GET"}'] == 3
        assert got['shop_checkout_seconds_bucket{le="0.1",method="GET"}'] == 0
        assert got['wippy_service_up{service="app:gateway",state="running"}'] == 1
        assert got['wippy_service_up{service="app:migrate-service",state="exited"}'] == 0
        assert got['wippy_service_restarts_total{service="app:gateway"}'] == 0
        assert got['wippy_consumer_workers{consumer="app:task_consumer"}'] == 2

        with httpx.Client(base_url=proc.url, timeout=10) as c:
            for i in range(3):
                assert c.post("/tasks", json={"action": f"a{i}"}).status_code < 300
        queue = 'queue="app:tasks_queue"'

        def settled():
            now = series(httpx.get(f"http://127.0.0.1:{ops}/metrics", timeout=5).text)
            return now if now[f"wippy_queue_acked_total{{{queue}}}"] == 3 else None
        got = wait_until(settled, 20, message="three tasks acked")
        assert got[f"wippy_queue_ready{{{queue}}}"] == 0
        assert got[f"wippy_queue_in_flight{{{queue}}}"] == 0
        assert got[f"wippy_queue_nacked_total{{{queue}}}"] == 0
        assert got[f"wippy_queue_retried_total{{{queue}}}"] == 0
        assert got[f"wippy_queue_dead_lettered_total{{{queue}}}"] == 0
        assert got['wippy_consumer_busy_workers{consumer="app:task_consumer"}'] == 0
        # The consumer wrote three rows (and the migration its table) through the writer.
        assert got['wippy_sqlite_write_queue{database="app:db"}'] == 0
        assert got['wippy_sqlite_in_use{database="app:db"}'] == 0
        assert 'wippy_sqlite_commit_groups_total{database="app:db"}' in got
        assert got['wippy_sqlite_grouped_writes_total{database="app:db"}'] >= \
            2 * got['wippy_sqlite_commit_groups_total{database="app:db"}']
    finally:
        proc.stop()


def test_a_busy_prometheus_address_is_a_clear_error(project):
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        enable(project, taken.getsockname()[1])
        proc = WippyProcess(project, free_port())
        try:
            assert proc.wait(30) == 1
        finally:
            proc.kill()
    assert "prometheus.address" in proc.logs and "cannot listen" in proc.logs
    assert "Traceback" not in proc.logs
