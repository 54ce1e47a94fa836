"""Every documented process, channel and timer function and event, inside `wippy run`
(tests/e2e/process_suite: a supervised process runs the checks and logs each one),
then a graceful stop: CANCEL, a grace period, termination of what ignores it."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.polling import poll_until

from .conftest import WippyProcess, free_port

SUITE = Path(__file__).resolve().parent / "process_suite"
CHECKS = ["pid", "send/listen/message", "inbox", "spawn_monitored/EXIT", "monitor/unmonitor",
          "links/LINK_DOWN", "cancel/CANCEL", "registry", "errors", "exec/builder", "upgrade",
          "channels", "timers"]


def test_every_documented_function_and_event_under_wippy_run(tmp_path):
    project = tmp_path / "suite"
    shutil.copytree(SUITE / "src", project / "src")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, "-m", "wippy", "init"], cwd=project, check=True,
                   capture_output=True, env=env)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "wippy", "run", "--set",
                             "logger.encoding=json", "-o", f"app:gateway:addr=127.0.0.1:{port}"],
                            cwd=project, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []

    def read():
        with proc.stderr:
            for line in proc.stderr:
                lines.append(line)
    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def records():
        out = []
        for line in list(lines):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def done():
        if proc.poll() is not None:
            raise AssertionError("wippy run exited:\n" + "".join(lines))
        return any(r.get("msg") == "suite done" for r in records())
    try:
        poll_until(done, 20, message="the suite to finish")
        passed = [r["check"] for r in records() if r.get("msg") == "check ok"]
        assert passed == CHECKS
        assert any(r.get("msg") == "service exited" and r.get("service") == "app:suite-service"
                   for r in records())
    finally:
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        code = proc.wait(20)
        took = time.monotonic() - started
        reader.join(5)
    text = "".join(lines)
    assert code == 0, text
    assert "stop timed out" not in text
    assert 0.9 < took < 6, f"stop took {took:.1f} s:\n{text}"   # a 1 s grace, then terminate


def test_a_function_behind_http_spawns_sends_and_execs(tmp_path):
    import httpx

    project = tmp_path / "suite"
    shutil.copytree(SUITE / "src", project / "src")
    subprocess.run([sys.executable, "-m", "wippy", "init"], cwd=project, check=True,
                   capture_output=True)
    wippy = WippyProcess(project, free_port())
    try:
        wippy.wait_ready()
        r = httpx.get(wippy.url + "/spawn", timeout=10)
        assert r.status_code == 200, r.text
        assert r.json() == {"doubled": 42, "echo_is_pid": True, "sent": True,
                            "monitored_err": "Invalid", "timer": True, "pid_is_own": True}
    finally:
        wippy.signal(signal.SIGTERM)
        try:
            assert wippy.wait(20) == 0, wippy.logs
        finally:
            wippy.kill()
