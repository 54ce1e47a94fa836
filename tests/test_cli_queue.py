"""`wippy queue stats` / `wippy queue replay` as real commands, on a queue file that no
runtime holds and on one that a running `wippy run` uses."""
from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from wippy.queue import Queue, new_message
from wippy.queue.sqlite import SqliteDriver

from .e2e.conftest import wait_until

INDEX = """\
version: "1.0"
namespace: app
entries:
  - name: driver
    kind: queue.driver.sqlite
    poll_interval: 50ms
    lifecycle: {auto_start: true}
  - name: jobs
    kind: queue.queue
    driver: driver
    dead_letter: {queue: failed, max_attempts: 1}
  - name: failed
    kind: queue.queue
    driver: driver
  - name: done
    kind: queue.queue
    driver: driver
  - name: worker
    kind: function.lua
    source: file://worker.lua
    method: main
    modules: [queue]
  - name: consumer
    kind: queue.consumer
    queue: jobs
    func: worker
    lifecycle: {auto_start: true}
"""

WORKER = """\
local queue = require("queue")
return {main = function(body)
    return queue.publish("done", body)
end}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "_index.yaml").write_text(INDEX)
    (tmp_path / "src" / "worker.lua").write_text(WORKER)
    subprocess.run([sys.executable, "-m", "wippy", "init"], cwd=tmp_path, check=True,
                   capture_output=True, timeout=60)
    return tmp_path


def wippy(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wippy", "-s", *args], cwd=project,
                          capture_output=True, text=True, timeout=60)


def stats(project: Path) -> dict[str, dict]:
    out = wippy(project, "queue", "stats", "--json")
    assert out.returncode == 0, out.stderr
    return {row["queue"]: row for row in json.loads(out.stdout)}


def dead_letter(project: Path, n: int) -> None:
    """Put n messages in app:failed the way the runtime does (nack past max_attempts)."""
    async def main():
        driver = SqliteDriver("app:driver", str(project / "data" / "queues.db"))
        for name in ("jobs", "failed", "done"):
            driver.declare(name)
        failed = Queue("app:failed", "failed", driver)
        jobs = Queue("app:jobs", "jobs", driver, dead_letter=failed, max_attempts=1)
        await driver.start()
        sub = await jobs.subscribe(prefetch=n)
        for i in range(n):
            await jobs.publish({"n": i})
        for _ in range(n):
            await jobs.nack(await asyncio.wait_for(sub.receive(), 5), "boom")
        await driver.stop()
    asyncio.run(main())


def test_stats_and_replay_on_a_file_no_runtime_holds(project):
    assert stats(project)["app:jobs"]["ready"] == 0          # no file yet: zeros
    dead_letter(project, 3)
    rows = stats(project)
    assert (rows["app:failed"]["ready"], rows["app:jobs"]["dead"], rows["app:jobs"]["ready"]) \
        == (3, 3, 0)
    out = wippy(project, "queue", "replay", "app:failed", "--limit", "2")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "replayed 2 message(s) from app:failed: 2 to app:jobs"
    rows = stats(project)
    assert (rows["app:failed"]["ready"], rows["app:jobs"]["ready"]) == (1, 2)
    out = wippy(project, "queue", "replay", "app:failed", "--to", "app:done")
    assert out.stdout.strip() == "replayed 1 message(s) from app:failed: 1 to app:done"
    assert stats(project)["app:done"]["ready"] == 1
    text = wippy(project, "queue", "stats").stdout.splitlines()
    assert text[0].split() == ["queue", "ready", "delayed", "in_flight", "dead", "file"]
    bad = wippy(project, "queue", "replay", "app:nope")
    assert bad.returncode == 1
    assert "app:nope is not a queue.queue on a queue.driver.sqlite driver" in bad.stderr


def test_replay_while_the_runtime_runs(project):
    dead_letter(project, 5)
    proc = subprocess.Popen([sys.executable, "-m", "wippy", "run"], cwd=project,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    def read() -> None:
        for line in proc.stderr:
            lines.append(line)
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_until(lambda: any("runtime ready" in line for line in lines), 20,
                   message="runtime ready")
        assert stats(project)["app:failed"]["ready"] == 5
        out = wippy(project, "queue", "replay", "app:failed")
        assert out.returncode == 0 and "replayed 5" in out.stdout, out.stderr
        wait_until(lambda: stats(project)["app:done"]["ready"] == 5, 20,
                   message="the running consumer processed the replayed messages")
        assert stats(project)["app:failed"]["ready"] == 0
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        reader.join(5)
        proc.stderr.close()
