"""Libraries, funcs, ctx, stores, error stacks and run_with through a real `wippy run`."""
from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import httpx
import pytest

from .conftest import WippyProcess, free_port, make_project, wait_until

HERE = Path(__file__).parent


@pytest.fixture
def demo(tmp_path):
    project = make_project(tmp_path)
    shutil.copytree(HERE / "compose_src", project / "src" / "demo")
    proc = WippyProcess(project, free_port())
    try:
        proc.wait_ready()
        with httpx.Client(base_url=proc.url, timeout=10) as client:
            r = client.get("/demo/setup")
            assert r.status_code == 200, r.text
            # A builder that cannot render still gives an executor; query() says why.
            assert r.json() == {"ready": True, "builder_error":
                                "select statements must have at least one result column"}
            yield proc, client
    finally:
        if proc.proc.poll() is None:
            proc.signal(signal.SIGTERM)
            proc.wait(20)


def test_libraries_funcs_and_context(demo):
    _, client = demo
    for _ in range(3):   # the library's state is fresh in every request
        body = client.get("/demo/greet", params={"name": "ann"}).json()
        assert body == {"greeting": "HELLO ANN!", "by": "api", "missing_kind": "NotFound",
                        "missing_message": "user 7 not found", "lib_calls": 1,
                        "encoded": "[1,2]"}, body


def test_error_stacks_name_library_and_handler_frames(demo):
    _, client = demo
    body = client.get("/demo/stack").json()
    assert body["thread"] == "main"
    assert body["frames"][0] == {"source": "demo:text", "line": 9, "name": "failure"}
    assert body["frames"][1]["source"] == "demo:api" and body["frames"][1]["line"] == 22   # local err = text.failure(...)
    lines = body["stack"].split("\n")
    assert lines[0] == "stack traceback:" and lines[1] == "\tdemo:text:9: in failure"


def test_recursion_is_bounded(demo):
    _, client = demo
    t0 = time.monotonic()
    body = client.get("/demo/recurse").json()
    assert body["kind"] == "Internal" and "call depth limit exceeded" in body["message"], body
    assert time.monotonic() - t0 < 5


def test_stores_ttl_and_size_bound(demo):
    proc, client = demo
    assert client.get("/demo/store", params={"key": "a", "value": "1"}).json() == {
        "cache": "1", "kv": "1"}
    assert client.get("/demo/store", params={"key": "b", "value": "2", "ttl": "0.3"}).json() == {
        "cache": "2", "kv": "2"}
    full = client.get("/demo/store", params={"key": "c", "value": "3"}).json()
    assert full["cache_error"] == "Unavailable" and full.get("cache") is None   # max_size 2
    assert full["kv"] == "3"
    assert client.get("/demo/read", params={"key": "a"}).json() == {"cache": "1", "kv": "1"}

    def expired():
        body = client.get("/demo/read", params={"key": "b"}).json()
        return body if body.get("cache_error") == "NotFound" else None
    body = wait_until(expired, 5, message="key b expired")
    assert body["kv_error"] == "NotFound"
    # Room freed by the expired key is reused at once.
    assert client.get("/demo/store", params={"key": "d", "value": "4"}).json()["cache"] == "4"
