"""The ops page's JSON endpoints, against a real `wippy run` of tests/ops/app.py: what
/ops/api/state and /ops/api/entries show, the replay action and its guards, and the
listener's own paths served unchanged next to the page."""
from __future__ import annotations

import re
import subprocess
import sys

import httpx

from tests.e2e.conftest import WippyProcess, free_port
from tests.polling import poll_until

from .app import make_app


def token(ops: httpx.Client) -> str:
    page = ops.get("/ops/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    return re.search(r'name="wippy-ops-token" content="([^"]+)"', page.text).group(1)


def state(ops: httpx.Client) -> dict:
    answer = ops.get("/ops/api/state")
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    return answer.json()


def queue(snapshot: dict, qid: str) -> dict:
    return next(q for q in snapshot["queues"] if q["id"] == qid)


def test_state_shows_services_queues_dead_letters_errors_and_entries(ops_app):
    with httpx.Client(base_url=ops_app.ops, timeout=10) as ops, \
            httpx.Client(base_url=ops_app.url, timeout=10) as app:
        first = state(ops)
        assert first["ready"] is True
        services = {s["id"]: s for s in first["services"]}
        assert services["app:gateway"]["state"] == "running"
        assert services["app:gateway"]["kind"] == "http.service"
        assert services["app:gateway"]["required"] is True
        assert services["app:consumer"]["starts"] == 1
        inbox = queue(first, "app:inbox")
        assert (inbox["ready"], inbox["durable"], inbox["driver"]) == (0, True, "app:driver")

        assert app.post("/inbox", json={"n": 1}).status_code == 202
        assert queue(state(ops), "app:inbox")["ready"] == 1

        assert app.post("/jobs", json={"name": "job-1"}).status_code == 202
        snap = poll_until(lambda: (s := state(ops))["dead_letters"] and s, 10,
                          message="the failed job is dead-lettered")
        (letter,) = snap["dead_letters"]
        assert letter["dead_queue"] == "app:failed"
        assert letter["original_queue"] == "app:jobs"
        assert letter["attempts"] == 1
        assert letter["last_error"] == "not fixed yet: job-1"
        assert letter["body"] == '{"name":"job-1"}'
        jobs = queue(snap, "app:jobs")
        assert (jobs["dead"], jobs["dead_lettered"], jobs["nacked"]) == (1, 1, 1)
        assert jobs["dead_letter"] == "app:failed" and not jobs["replayable"]
        assert queue(snap, "app:failed")["replayable"] is True

        boom = app.get("/boom")
        request_id = boom.json()["error"]["request_id"]
        errors = state(ops)["errors"]
        http_error = next(e for e in errors if e.get("request_id") == request_id)
        assert http_error["func"] == "app:boom"
        assert http_error["endpoint"] == "app:boom.endpoint"
        assert "boom: <b>failed</b> on purpose" in http_error["message"]
        consumer_error = next(e for e in errors if e.get("consumer") == "app:consumer")
        assert consumer_error["message_id"] == letter["message_id"]
        assert consumer_error["error"] == "not fixed yet: job-1"
        assert errors[0]["seq"] > errors[-1]["seq"]    # newest first

        entries = {e["id"]: e for e in ops.get("/ops/api/entries").json()["entries"]}
        assert entries["app:consumer"]["kind"] == "queue.consumer"
        assert entries["app:consumer"]["file"] == "src/_index.yaml"
        assert entries["app:consumer"]["line"] > 0
        assert entries["app:router"]["meta"] == {"server": "gateway"}

        # The listener's own paths, beside the page.
        assert ops.get("/health").json() == {"status": "ok"}
        assert ops.get("/livez").json() == {"status": "ok"}
        assert ops.get("/ready").json()["status"] == "ready"
        assert "wippy_queue_ready" in ops.get("/metrics").text
        assert ops.post("/metrics").status_code == 405
        assert ops.get("/nope").status_code == 404
        static = ops.get("/ops/static/ops.js")
        assert static.status_code == 200 and "textContent" in static.text
        assert ops.get("/ops/static/../app.py").status_code == 404


def test_replay_one_message_and_its_guards(ops_app):
    with httpx.Client(base_url=ops_app.ops, timeout=10) as ops, \
            httpx.Client(base_url=ops_app.url, timeout=10) as app:
        secret = token(ops)
        for name in ("a", "b"):
            assert app.post("/jobs", json={"name": name}).status_code == 202
        letters = poll_until(lambda: len(l := state(ops)["dead_letters"]) == 2 and l, 10,
                             message="two dead letters")
        target = next(l for l in letters if l["last_error"] == "not fixed yet: a")
        body = {"dead_queue": "app:failed", "message_id": target["message_id"]}
        good = {"x-wippy-ops-token": secret}

        def replay(headers: dict, payload: object = body) -> httpx.Response:
            return ops.post("/ops/api/replay", json=payload, headers=headers)

        refused = [
            replay({}),                                                  # no token
            replay({"x-wippy-ops-token": "guess"}),
            replay({**good, "origin": "http://evil.example"}),
            replay({**good, "sec-fetch-site": "cross-site"}),
            replay({**good, "host": "evil.example"}),                    # DNS rebinding
        ]
        assert [r.status_code for r in refused] == [403] * 5
        assert "x-wippy-ops-token" in refused[0].json()["error"]
        assert "loopback Host" in refused[4].json()["error"]
        assert ops.get("/ops/api/state", headers={"host": "evil.example"}).status_code == 403
        assert len(state(ops)["dead_letters"]) == 2          # nothing moved

        bad = replay(good, {"queue": "app:failed"})
        assert bad.status_code == 400 and "dead_queue" in bad.json()["error"]
        unknown = replay(good, {"dead_queue": "app:nope"})
        assert unknown.status_code == 400
        assert "app:nope is not a queue.queue on a queue.driver.sqlite" in unknown.json()["error"]

        assert app.post("/fix").status_code == 200
        moved = replay({**good, "origin": ops_app.ops, "sec-fetch-site": "same-origin"})
        assert moved.status_code == 200, moved.text
        assert moved.json() == {"replayed": 1, "moved": {"app:jobs": 1}}
        again = replay(good)
        assert again.status_code == 404 and "replayed already?" in again.json()["error"]
        done = poll_until(lambda: queue(s := state(ops), "app:done")["ready"] == 1 and s, 10,
                          message="the replayed job reaches app:done")
        assert [l["last_error"] for l in done["dead_letters"]] == ["not fixed yet: b"]
        assert replay(good, {"dead_queue": "app:failed"}).json()["replayed"] == 1
        poll_until(lambda: queue(state(ops), "app:done")["ready"] == 2, 10,
                   message="replay all: the other job reaches app:done")
        assert any("dead letters replayed from the ops page" in line
                   for line in ops_app.proc.lines)


def test_page_headers_keep_it_to_itself(ops_app):
    with httpx.Client(base_url=ops_app.ops, timeout=10) as ops:
        page = ops.get("/ops/")
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert page.headers["x-frame-options"] == "DENY"
        assert 'src="/ops/static/ops.js"' in page.text and "http" not in page.text.split(
            "<body>")[0].replace('http-equiv', '')      # no external script or font
        moved = ops.get("/ops", follow_redirects=False)
        assert (moved.status_code, moved.headers["location"]) == (308, "/ops/")


def run_fails(tmp_path, wippy_yaml: str) -> str:
    """stderr of a `wippy run` that must refuse to start with this .wippy.yaml."""
    project = make_app(tmp_path / "app", free_port())
    (project / ".wippy.yaml").write_text(wippy_yaml)
    out = subprocess.run([sys.executable, "-m", "wippy", "run"], cwd=project,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1, out.stderr
    assert "runtime ready" not in out.stderr
    return out.stderr


def test_page_needs_the_listener(tmp_path):
    err = run_fails(tmp_path, "ops:\n  enabled: true\n")
    assert "ops.enabled: the ops page is served on the prometheus listener; set " \
           "prometheus.enabled: true" in err


def test_page_refused_on_a_non_loopback_address(tmp_path):
    err = run_fails(tmp_path, "prometheus:\n  enabled: true\n  address: 0.0.0.0:0\n"
                              "ops:\n  enabled: true\n")
    assert "ops.enabled: prometheus.address 0.0.0.0:0 is not a loopback address" in err
    assert "ops.allow_remote: true" in err


def test_allow_remote_serves_other_host_names(tmp_path):
    port = free_port()
    project = make_app(tmp_path / "app", port, "ops:\n  enabled: true\n  allow_remote: true\n")
    proc = WippyProcess(project, free_port())
    try:
        proc.wait_ready()
        answer = httpx.get(f"http://127.0.0.1:{port}/ops/api/state",
                           headers={"host": "ops.internal.example:9090"}, timeout=10)
        assert answer.status_code == 200 and answer.json()["ready"] is True
    finally:
        proc.stop()
