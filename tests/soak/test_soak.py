"""Soak: thousands of tasks through HTTP -> queue -> Lua -> SQLite with 1 % failing.

After warm-up, the process's RSS, open file descriptors and threads must stay
flat; every healthy task is stored and every failing one is dead-lettered.
Bounded to about a minute; marked slow.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
from pathlib import Path

import httpx
import pytest

from ..e2e.conftest import WippyProcess, free_port, make_project, wait_until

ROUNDS = 8
PER_ROUND = 1500
FAIL_EVERY = 100          # 1 % of the tasks fail every attempt

DLQ_YAML = """version: "1.0"
namespace: app
entries:
  - name: failed_tasks
    kind: queue.queue
    driver: app:queue_driver
"""


def soak_project(tmp_path: Path) -> Path:
    project = make_project(tmp_path)
    worker = project / "src/process_task.lua"
    source = worker.read_text().replace('time.sleep("100ms")', "")
    source = source.replace("local function main(task)\n",
                            "local function main(task)\n"
                            "    if task.action == \"fail\" then return false end\n", 1)
    worker.write_text(source)
    (project / "src/dead_letter.yaml").write_text(DLQ_YAML)
    return project


def sample(pid: int) -> dict:
    """RSS, threads, and open descriptors: sockets apart, since clients' keep-alive
    connections close on their own schedule."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    links = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    sockets = sum(1 for link in links if link.startswith("socket:"))
    return {"rss_kib": int(fields["VmRSS"].split()[0]), "threads": int(fields["Threads"]),
            "fds": len(links) - sockets, "sockets": sockets}


async def post_round(url: str, start: int) -> int:
    sem = asyncio.Semaphore(16)
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        async def one(i: int) -> int:
            action = "fail" if i % FAIL_EVERY == 0 else "uppercase"
            async with sem:
                r = await client.post("/tasks", content=json.dumps(
                    {"action": action, "data": {"text": f"t{i}"}}),
                    headers={"Content-Type": "application/json"})
                return r.status_code
        codes = await asyncio.gather(*(one(i) for i in range(start, start + PER_ROUND)))
    return sum(1 for c in codes if c == 202)


def stored(db: Path) -> int:
    with sqlite3.connect(db, timeout=5) as conn:
        return conn.execute("SELECT count(*) FROM tasks").fetchone()[0]


@pytest.mark.slow
def test_soak_resources_stay_flat(tmp_path):
    project = soak_project(tmp_path)
    overrides = ["-o", "app:tasks_queue:retry.initial_delay=10ms",
                 "-o", "app:tasks_queue:retry.max_delay=50ms",
                 "-o", "app:tasks_queue:dead_letter.queue=app:failed_tasks",
                 "-o", "app:tasks_queue:dead_letter.max_attempts=3", "-s"]
    proc = WippyProcess(project, free_port(), overrides)
    try:
        wait_until(lambda: _accepting(proc), 30, message="server up")
        db = project / "data/tasks.db"
        samples, accepted = [], 0
        for n in range(ROUNDS):
            accepted += asyncio.run(post_round(proc.url, n * PER_ROUND))
            healthy = accepted - accepted // FAIL_EVERY
            wait_until(lambda: stored(db) >= healthy, 60, message=f"{healthy} rows")
            samples.append(sample(proc.proc.pid))
        assert accepted == ROUNDS * PER_ROUND
        warm, last = min(samples[1:], key=lambda s: s["sockets"]), samples[-1]
        report = "\n".join(f"round {i}: {s}" for i, s in enumerate(samples))
        print(report)
        assert last["rss_kib"] - warm["rss_kib"] < 20 * 1024, report
        assert abs(last["fds"] - warm["fds"]) <= 2, report
        # client connections are closed: the server's sockets drain back to the listener's
        wait_until(lambda: sample(proc.proc.pid)["sockets"] <= warm["sockets"], 10,
                   message="client sockets closed")
        assert abs(last["threads"] - warm["threads"]) <= 2, report
        assert stored(db) == accepted - accepted // FAIL_EVERY
        proc.signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        proc.kill()


def _accepting(proc: WippyProcess) -> bool:
    if proc.proc.poll() is not None:
        raise AssertionError(f"wippy run exited:\n{proc.logs}")
    try:
        return httpx.get(proc.url + "/tasks", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
