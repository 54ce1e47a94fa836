"""Request and call series, the access log and retry log levels, through a real `wippy run`
of the tutorial with a few entries added: /metrics after real requests, access lines on
stderr (text, JSON, off), a failing message's WARN lines then one ERROR, and
`shutdown.timeout` (docs/operations.md)."""
from __future__ import annotations

import json
import signal
import threading
import time

import httpx

from .conftest import WippyProcess, free_port, wait_until
from .test_metrics_health import series

ENTRIES = """
  - name: item
    kind: function.lua
    source: file://item.lua
    method: handler
    modules: [http, time, logger]

  - name: item.endpoint
    kind: http.endpoint
    meta: {router: app:router}
    method: GET
    path: /items/{id}
    func: app:item

  - name: boom
    kind: function.lua
    source: file://boom.lua
    method: handler
    modules: [http]

  - name: boom.endpoint
    kind: http.endpoint
    meta: {router: app:router}
    method: GET
    path: /boom
    func: app:boom

  - name: jobs
    kind: queue.queue
    driver: app:queue_driver
    retry: {initial_delay: 10ms, max_delay: 50ms, factor: 2, jitter: 0}
    dead_letter: {queue: app:dead_jobs, max_attempts: 3}

  - name: dead_jobs
    kind: queue.queue
    driver: app:queue_driver

  - name: enqueue
    kind: function.lua
    source: file://enqueue.lua
    method: handler
    modules: [http, queue]

  - name: enqueue.endpoint
    kind: http.endpoint
    meta: {router: app:router}
    method: POST
    path: /jobs
    func: app:enqueue

  - name: job
    kind: function.lua
    source: file://job.lua
    method: main
    modules: [queue]

  - name: job_consumer
    kind: queue.consumer
    queue: app:jobs
    func: app:job
    lifecycle: {auto_start: true}
"""

SOURCES = {
    "item.lua": """local http = require("http")
local time = require("time")
local logger = require("logger")
local function handler()
    local req, res = http.request(), http.response()
    local wait = req:query("sleep")
    if wait then
        logger:info("sleeping", {wait = wait})
        time.sleep(wait)
    end
    res:write_json({id = req:param("id")})
end
return {handler = handler}
""",
    "boom.lua": """local function handler()
    error("boom on purpose")
end
return {handler = handler}
""",
    "enqueue.lua": """local http = require("http")
local queue = require("queue")
local function handler()
    local req, res = http.request(), http.response()
    local _, err = queue.publish("app:jobs", req:body_json())
    if err then error(err) end
    res:set_status(202)
    res:write_json({queued = true})
end
return {handler = handler}
""",
    "job.lua": """local function main(body)
    if body.fail then
        return nil, "job failed on purpose"
    end
    return true
end
return {main = main}
""",
}


def prepare(project, config: str = "") -> None:
    index = project / "src" / "_index.yaml"
    index.write_text(index.read_text().rstrip("\n") + "\n" + ENTRIES)
    for name, text in SOURCES.items():
        (project / "src" / name).write_text(text)
    if config:
        (project / ".wippy.yaml").write_text(config)


def access_lines(proc: WippyProcess) -> list[str]:
    return [line for line in proc.lines if "wippy.http.access" in line]


def test_series_after_requests_and_text_access_log(project):
    ops = free_port()
    prepare(project, f"prometheus:\n  enabled: true\n  address: 127.0.0.1:{ops}\n")
    proc = WippyProcess(project, free_port())
    try:
        proc.wait_ready()
        with httpx.Client(base_url=proc.url, timeout=10) as c:
            for i in range(3):
                assert c.post("/tasks", json={"action": f"a{i}"}).status_code == 202
            assert c.get("/items/a").json() == {"id": "a"}
            assert c.get("/items/a").status_code == 200
            traced = c.get("/items/b", headers={"X-Request-Id": "trace-42"})
            assert traced.status_code == 200
            boom = c.get("/boom")
            assert boom.status_code == 500
            assert c.get("/nope").status_code == 404
        wait_until(lambda: len(access_lines(proc)) >= 8, 10, message="eight access lines")

        def scraped():
            got = series(httpx.get(f"http://127.0.0.1:{ops}/metrics", timeout=5).text)
            done = got.get('wippy_lua_calls_total{entry="app:process_task",outcome="ok"}')
            return got if done == 3 else None
        got = wait_until(scraped, 20, message="three tasks processed")
    finally:
        proc.stop()

    def req(endpoint: str, method: str, status: int) -> float:
        return got[f'wippy_http_requests_total{{endpoint="{endpoint}",method="{method}",'
                   f'service="app:gateway",status="{status}"}}']
    assert req("/tasks", "POST", 202) == 3
    assert req("/items/{id}", "GET", 200) == 3          # the pattern, not /items/a
    assert req("/boom", "GET", 500) == 1
    assert req("(unmatched)", "GET", 404) == 1
    assert not any('endpoint="/items/a"' in name for name in got)
    items = 'endpoint="/items/{id}",method="GET",service="app:gateway"'
    assert got[f"wippy_http_request_duration_seconds_count{{{items}}}"] == 3
    every = 'endpoint="/items/{id}",le="+Inf",method="GET",service="app:gateway"'
    assert got[f"wippy_http_request_duration_seconds_bucket{{{every}}}"] == 3
    assert 0 < got[f"wippy_http_request_duration_seconds_sum{{{items}}}"] < 3

    assert got['wippy_lua_calls_total{entry="app:create_task",outcome="ok"}'] == 3
    assert got['wippy_lua_calls_total{entry="app:item",outcome="ok"}'] == 3
    assert got['wippy_lua_calls_total{entry="app:boom",outcome="raised"}'] == 1
    assert got['wippy_lua_call_duration_seconds_count{entry="app:create_task"}'] == 3
    assert got['wippy_queue_published_total{queue="app:tasks_queue"}'] == 3
    assert got['wippy_queue_published_total{queue="app:jobs"}'] == 0
    # The migration ran as a process on app:processes and ended well.
    assert got['wippy_processes_spawned_total{host="app:processes"}'] >= 1
    assert got['wippy_processes_exited_total{host="app:processes",outcome="ok"}'] >= 1
    assert got['wippy_processes{host="app:processes"}'] == \
        got['wippy_processes_spawned_total{host="app:processes"}'] - sum(
            v for k, v in got.items() if k.startswith("wippy_processes_exited_total{"))

    lines = access_lines(proc)
    assert len(lines) == 8, "\n".join(proc.lines)
    posts = [line for line in lines if "method=POST path=/tasks status=202" in line]
    assert len(posts) == 3 and all(" INFO " in line for line in posts)
    assert all("bytes=" in line and "duration_ms=" in line and "request_id=" in line
               for line in lines)
    assert any("path=/items/b status=200" in line and "request_id=trace-42" in line
               for line in lines)
    # The 500's line carries the id the client got, which the error line also names.
    rid = boom.json()["error"]["request_id"]
    assert any("path=/boom status=500" in line and f"request_id={rid}" in line
               for line in lines)
    assert any("path=/nope status=404 bytes=19" in line for line in lines)


def test_json_access_log_from_logger_encoding(project):
    prepare(project, "logger:\n  encoding: json\n")
    proc = WippyProcess(project, free_port())
    try:
        proc.wait_ready()
        with httpx.Client(base_url=proc.url, timeout=10) as c:
            assert c.get("/items/x", headers={"X-Request-Id": "json-1"}).status_code == 200
            assert c.head("/items/y").status_code == 200
        wait_until(lambda: len(access_lines(proc)) >= 2, 10, message="two access lines")
    finally:
        proc.stop()
    records = [json.loads(line) for line in access_lines(proc)]
    first, head = records
    assert first["level"] == "info" and first["logger"] == "wippy.http.access"
    assert first["msg"] == "http request"
    assert (first["method"], first["path"], first["status"], first["bytes"],
            first["request_id"]) == ("GET", "/items/x", 200, len(b'{"id":"x"}'), "json-1")
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] > 0
    assert (head["method"], head["status"], head["bytes"]) == ("HEAD", 200, 0)
    assert len(head["request_id"]) == 32


def test_access_log_switched_off(project):
    prepare(project, "logger:\n  access_log: false\n")
    proc = WippyProcess(project, free_port(), ["--log-json"])
    try:
        proc.wait_ready()
        with httpx.Client(base_url=proc.url, timeout=10) as c:
            for _ in range(3):
                assert c.get("/items/z").status_code == 200
            assert c.get("/boom").status_code == 500
        # The handler's error line is written after its request: once it is there, an
        # access line (written when the response completed) would be there too.
        wait_until(lambda: any("boom on purpose" in line for line in proc.lines), 10,
                   message="the handler error logged")
    finally:
        proc.stop()
    assert access_lines(proc) == []
    assert all(line.startswith("{") for line in proc.lines), proc.logs   # --log-json


def test_retried_message_warns_then_one_error(project):
    prepare(project)
    proc = WippyProcess(project, free_port())
    try:
        proc.wait_ready()
        with httpx.Client(base_url=proc.url, timeout=10) as c:
            assert c.post("/jobs", json={"fail": True}).status_code == 202
            assert c.post("/jobs", json={"fail": False}).status_code == 202

        def final():
            return [line for line in proc.lines if "message processing failed" in line
                    and " ERROR " in line]
        wait_until(final, 20, message="the final failure logged")
    finally:
        proc.stop()
    failed = [line for line in proc.lines if "message processing failed" in line]
    assert len(failed) == 3, failed
    assert [" WARN " in line for line in failed] == [True, True, False]
    assert " ERROR " in failed[2] and "dead_letter=app:dead_jobs" in failed[2]
    assert "attempt=1" in failed[0] and "retry=true" in failed[0]
    assert "attempt=3" in failed[2] and "job failed on purpose" in failed[2]
    assert [line for line in proc.lines if " ERROR " in line] == failed[2:]


def test_shutdown_timeout_from_the_config_bounds_the_stop(project):
    # The HTTP server lets a running request finish for 80 % of its stop_timeout (10 s);
    # shutdown.timeout: 1s is shorter, so the stop gives up after about a second.
    prepare(project, "shutdown:\n  timeout: 1s\n")
    proc = WippyProcess(project, free_port())
    client = httpx.Client(base_url=proc.url, timeout=10)
    try:
        proc.wait_ready()
        slow = threading.Thread(target=_get, args=(client, "/items/slow?sleep=4s"),
                                daemon=True)
        slow.start()
        wait_until(lambda: any("sleeping" in line for line in proc.lines), 10,
                   message="the slow request running")
        started = time.monotonic()
        proc.signal(signal.SIGTERM)
        code = proc.wait(20)
        elapsed = time.monotonic() - started
    finally:
        proc.kill()
        client.close()
    assert code == 1, proc.logs
    assert 0.9 <= elapsed < 3.5, elapsed
    assert any("shutdown timed out" in line and "timeout=1s" in line for line in proc.lines)


def _get(client: httpx.Client, path: str) -> None:
    try:
        client.get(path)
    except httpx.HTTPError:
        pass     # the process stops under it: no answer is expected
