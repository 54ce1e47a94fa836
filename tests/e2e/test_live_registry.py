"""The live registry through `wippy run` (a real subprocess, real HTTP): a Lua handler
creates a function entry and calls it, adds a route that then answers; `--watch` runs a
saved handler on the next request, lets a request in flight finish on its old code,
refuses a broken registry while the old code keeps answering, and recovers."""
from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.polling import poll_until

from .conftest import WippyProcess, free_port

APP = Path(__file__).parent / "live_registry_app" / "src"


def make_app(tmp_path: Path) -> Path:
    project = tmp_path / "live"
    shutil.copytree(APP, project / "src")
    subprocess.run([sys.executable, "-m", "wippy", "init"], cwd=project, check=True,
                   capture_output=True, timeout=60)
    return project


def running(project: Path, *args: str) -> WippyProcess:
    proc = WippyProcess(project, free_port(), list(args))
    proc.wait_ready()
    return proc


@pytest.fixture
def project(tmp_path):
    return make_app(tmp_path)


def test_handler_creates_a_function_entry_and_calls_it_and_adds_a_route(project):
    proc = running(project)
    try:
        with httpx.Client(base_url=proc.url, timeout=10) as http:
            made = http.post("/make", params={"name": "answer", "answer": "42"})
            assert made.status_code == 200, made.text
            assert made.json() == {"version": "v1", "answer": "42"}
            again = http.post("/make", params={"name": "answer", "answer": "43"})
            assert again.status_code == 400
            assert again.json()["kind"] == "Invalid"
            assert "app:answer already exists" in again.json()["error"]
            assert http.get("/fresh").status_code == 404
            routed = http.post("/route", params={"path": "/fresh", "answer": "new route"})
            assert routed.json() == {"version": "v2"}, routed.text
            fresh = http.get("/fresh")
            assert (fresh.status_code, fresh.text) == (200, "new route")
            assert http.get("/hello").text == "hello v1"     # the rest kept serving
            # A route that conflicts is found while building (after the check): the change
            # is rolled back whole, its function too, and the old route still answers.
            clash = http.post("/route", params={"path": "/hello", "answer": "clash"})
            assert clash.status_code == 400 and clash.json()["kind"] == "Invalid", clash.text
            assert "route pattern conflicts" in clash.json()["error"]
            assert http.get("/hello").text == "hello v1"
            made = http.post("/make", params={"name": "dyn_hello", "answer": "free again"})
            assert made.json() == {"version": "v3", "answer": "free again"}, made.text
    finally:
        proc.stop()
    assert "registry changed version=v2" in proc.logs


def _edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new))


def test_watch_reloads_a_saved_handler_keeps_old_code_on_errors_and_recovers(project):
    src = project / "src"
    proc = running(project, "--watch")
    try:
        poll_until(lambda: "watching for changes" in proc.logs, 10, message="the watcher")
        with httpx.Client(base_url=proc.url, timeout=10) as http:
            assert http.get("/hello").text == "hello v1"

            # A saved handler answers the next request within a second.
            saved = time.monotonic()
            _edit(src / "hello.lua", "hello v1", "hello v2")
            poll_until(lambda: http.get("/hello").text == "hello v2", 5, 0.01,
                       "the new handler answers")
            took = time.monotonic() - saved
            assert took < 1.0, f"{took:.3f} s from save to new code"

            # A request in flight when its handler changes finishes on the old code.
            answers: list[str] = []
            slow = threading.Thread(target=lambda: answers.append(
                httpx.get(f"{proc.url}/slow", timeout=10).text))
            slow.start()
            poll_until(lambda: "slow handler started" in proc.logs, 5, message="in flight")
            _edit(src / "slow.lua", "slow v1", "slow v2")
            slow.join(10)
            assert answers == ["slow v1"]
            poll_until(lambda: http.get("/slow").text == "slow v2", 5, 0.01, "new slow")

            # Broken YAML: the error is printed with file and line, the old code answers.
            index = src / "_index.yaml"
            good = index.read_text()
            index.write_text(good + "  - name: [unclosed\n")
            poll_until(lambda: "reload refused" in proc.logs, 5, message="a refused reload")
            assert "_index.yaml:" in proc.logs and "invalid YAML" in proc.logs
            assert http.get("/hello").text == "hello v2"

            # A registry error (not YAML): named by entry and field; still the old code.
            index.write_text(good.replace("method: handler\n    modules: [http]\n",
                                          "method: handler\n    modules: [htp]\n"))
            poll_until(lambda: "unknown module 'htp'" in proc.logs, 5, message="the problem")
            assert "app:hello" in proc.logs
            _edit(src / "hello.lua", "hello v2", "hello v3")    # refused with the registry
            poll_until(lambda: proc.logs.count("unknown module 'htp'") >= 2, 5,
                       message="the reload with the new handler refused as well")
            assert http.get("/hello").text == "hello v2"

            # Fixed: the pending handler change lands too.
            index.write_text(good)
            poll_until(lambda: http.get("/hello").text == "hello v3", 5, 0.01, "recovered")
            assert http.get("/slow").text == "slow v2"
    finally:
        proc.stop()
    assert "Traceback" not in proc.logs


def test_watch_restarts_a_consumer_whose_worker_changed_and_no_message_is_lost(project):
    proc = running(project, "--watch")
    jobs = 300
    try:
        poll_until(lambda: "watching for changes" in proc.logs, 10, message="the watcher")
        with httpx.Client(base_url=proc.url, timeout=30) as http:
            published = http.post("/jobs", params={"n": jobs})
            assert published.json() == {"published": jobs}, published.text
            # Edit the worker while the backlog drains (4 at a time, 5 ms each).
            poll_until(lambda: http.get("/jobs", params={"n": jobs}).json()["handled"] > 0, 10,
                       message="the first jobs handled")
            _edit(project / "src" / "worker.lua", "worker v1", "worker v2")

            def done():
                got = http.get("/jobs", params={"n": jobs}).json()
                return got if got["handled"] == jobs else None
            got = poll_until(done, 20, 0.05, "every job handled")
    finally:
        proc.stop()
    assert got["by"].get("worker v2", 0) > 0, got       # the new worker took over ...
    assert got["by"].get("worker v1", 0) > 0, got       # ... after the old one had started
    assert "service stopping service=app:worker.consumer" in proc.logs
    assert "service stopping service=app:gateway" not in proc.logs.split("reloaded")[0]
