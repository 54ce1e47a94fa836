"""Do 10 000 idle processes move the tutorial's HTTP figures? (issue 13)

    python bench/process_http_bench.py [--idle 10000] [--tasks 2000] [--rounds 3]

Each round runs the task-queue example twice as `wippy run` (as bench/bench.py does,
worker sleep removed): once as is, once with an extra process.service that spawns
`--idle` processes waiting on their inbox, started and all waiting before the load.
Prints POST req/s, p50/p99 and end-to-end tasks/s for both, and their ratio.
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import loadgen  # noqa: E402
from bench import ROOT, free_port, post_bodies, row_count, wait_port, without_sleep  # noqa: E402

IDLE_ENTRIES = """
  - name: idle
    kind: process.lua
    source: file://idle.lua
    method: main

  - name: idle_spawner
    kind: process.lua
    source: file://idle_spawner.lua
    method: main
    modules: [logger]

  - name: idle-service
    kind: process.service
    process: app:idle_spawner
    host: app:processes
    input: [{n}]
    lifecycle:
      auto_start: true
"""
IDLE = 'return {main = function() process.inbox():receive() end}\n'
SPAWNER = '''local logger = require("logger")
return {main = function(n)
    for i = 1, n do assert(process.spawn("app:idle", "app:processes")) end
    logger:info("idle processes spawned", {n = n})
    process.events():receive()   -- until CANCEL
    return 0
end}
'''


def run_once(n_tasks: int, concurrency: int, idle: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="wippy-pbench-"))
    try:
        project = tmp / "task-queue"
        shutil.copytree(ROOT / "examples/task-queue/src", project / "src")
        worker = project / "src/process_task.lua"
        worker.write_text(without_sleep(worker.read_text()))
        if idle:
            index = project / "src/_index.yaml"
            index.write_text(index.read_text().rstrip("\n") + "\n" + IDLE_ENTRIES.format(n=idle))
            (project / "src/idle.lua").write_text(IDLE)
            (project / "src/idle_spawner.lua").write_text(SPAWNER)
        (project / "data").mkdir()
        subprocess.run([sys.executable, "-m", "wippy", "init"], cwd=project, check=True,
                       stdout=subprocess.DEVNULL)
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "wippy", "run",
                                 "-o", f"app:gateway:addr=127.0.0.1:{port}"],
                                cwd=project, stderr=subprocess.PIPE, text=True)
        spawned = threading.Event()

        def read():
            with proc.stderr:
                for line in proc.stderr:
                    if "idle processes spawned" in line:
                        spawned.set()
        threading.Thread(target=read, daemon=True).start()
        try:
            wait_port(port, proc)
            if idle and not spawned.wait(60):
                raise RuntimeError("the idle processes were not spawned")
            time.sleep(0.5)   # let the last spawned ones take their first step
            db = project / "data/tasks.db"
            t0 = time.perf_counter()
            post = asyncio.run(loadgen.run(port, post_bodies(n_tasks), concurrency))
            while row_count(db) < n_tasks and time.perf_counter() - t0 < 120:
                time.sleep(0.01)
            e2e = time.perf_counter() - t0
            return {"post": post, "e2e_tps": row_count(db) / e2e}
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--idle", type=int, default=10_000)
    ap.add_argument("--tasks", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    ratios = []
    for i in range(1, args.rounds + 1):
        base = run_once(args.tasks, args.concurrency, 0)
        loaded = run_once(args.tasks, args.concurrency, args.idle)
        for label, r in (("no processes", base), (f"{args.idle} idle", loaded)):
            p = r["post"]
            print(f"round {i} {label:>14}: POST {p['rps']:7.0f} req/s  p50 {p['p50_ms']:6.2f} ms"
                  f"  p99 {p['p99_ms']:6.2f} ms  e2e {r['e2e_tps']:6.0f} tasks/s")
        ratios.append(loaded["post"]["rps"] / base["post"]["rps"])
        print(f"round {i}: POST with / without {ratios[-1]:.2f}x")
    print(f"median POST with / without: {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
