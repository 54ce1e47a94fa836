"""events and system through `wippy run` (tests/e2e/events_app, an app of our own):
pub/sub between processes fed by HTTP function calls, a kind filter and a system
pattern, subscriptions in channel.select with process events and a ticker, clean
close on CANCEL, the system module's read-outs, and system.exit(code) as a graceful
stop with that exit code."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import httpx

from tests.polling import poll_until

from .conftest import free_port

APP = Path(__file__).parent / "events_app"


def _start(tmp_path: Path):
    project = tmp_path / "events_app"
    shutil.copytree(APP / "src", project / "src")
    subprocess.run([sys.executable, "-m", "wippy", "init"], cwd=project, check=True,
                   capture_output=True, timeout=60)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "wippy", "run", "--set", "logger.encoding=json",
         "-o", f"app:gateway:addr=127.0.0.1:{port}"],
        cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return proc, f"http://127.0.0.1:{port}"


def _records(lines):
    out = []
    for line in list(lines):
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def test_events_between_processes_and_system_stats_and_exit(tmp_path):
    import threading
    proc, url = _start(tmp_path)
    lines: list[str] = []

    def read():
        with proc.stderr:
            for line in proc.stderr:
                lines.append(line)
    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def msgs(name):
        return [r for r in _records(lines) if r.get("msg") == name]
    try:
        poll_until(lambda: msgs("hub ready") and msgs("alarm ready"), 20,
                   message="both subscribers ready")
        hub_pid = msgs("hub ready")[0]["pid"]   # the logger adds the process's pid
        assert hub_pid.startswith("{app:processes|")
        with httpx.Client(base_url=url, timeout=10) as c:
            sent = [("sensors.temp", "reading", "/t/1", 21),
                    ("sensors.temp", "reading.high", "/t/1", 95),
                    ("sensors.door", "opened", "/d/front", None),
                    ("other", "reading.high", "/x", 99),        # no subscriber matches
                    ("sensors.temp", "reading.high", "/t/2", 101)]
            for system, kind, path, value in sent:
                r = c.post("/emit", json={"system": system, "kind": kind, "path": path,
                                          "value": value})
                assert r.status_code == 200 and r.json() == {"ok": True}, r.text
            r = c.post("/emit", json={"system": "sensors.temp", "kind": "", "path": "/p"})
            assert r.status_code == 400
            assert r.json() == {"error": "kind is required", "kind": "Invalid"}

            got = poll_until(lambda: len(msgs("hub got")) == 4 and len(msgs("alarm")) == 2
                             and msgs("hub got"), 10, message="events delivered")
            assert [(g["system"], g["kind"], g["path"], g.get("value"), g["count"])
                    for g in got] == [
                ("sensors.temp", "reading", "/t/1", 21, 1),
                ("sensors.temp", "reading.high", "/t/1", 95, 2),
                ("sensors.door", "opened", "/d/front", None, 1),
                ("sensors.temp", "reading.high", "/t/2", 101, 3)]
            assert [(a["path"], a["value"], a["level"]) for a in msgs("alarm")] == [
                ("/t/1", 95, "warning"), ("/t/2", 101, "warning")]

            st = c.get("/stats").json()
            mem = st["memory"]
            assert mem["alloc"] > 1 << 20 and mem["heap_objects"] > 1000
            assert mem["heap_sys"] == mem["heap_idle"] + mem["heap_in_use"]
            assert st["pid"] == proc.pid and st["cpus"] >= 1 and st["goroutines"] >= 3
            assert st["services"] == ["app:alarm.service", "app:gateway", "app:hub.service",
                                      "app:processes"]
            assert st["hub"]["id"] == "app:hub.service" and st["hub"]["status"] == "running"
            assert st["hub"]["desired"] == "running" and st["hub"]["started_at"] > 0
            assert st["hosts"] == [{"id": "app:processes", "workers": st["hosts"][0]["workers"],
                                    "processes": 2, "executed": 0, "stolen": 0,
                                    "queue_depth": 0}]
            assert st["procs"] == 2
            assert st["subscribe_in_function"] == "Internal"

            # the ticker shares the select with the subscription and process events
            poll_until(lambda: msgs("hub ticked"), 10, message="the hub's ticker fired")
            r = c.post("/quit", params={"code": "3"})
            assert r.json() == {"ok": True}
        code = proc.wait(20)
        assert code == 3, "".join(lines)
        closing = msgs("hub closing")
        assert closing and closing[0]["closed"] is True and closing[0]["again"] is True
        assert closing[0]["ticked"] is True
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        reader.join(5)
