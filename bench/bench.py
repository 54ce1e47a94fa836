"""Benchmark: the task-queue example under load, against a bare Starlette endpoint.

Runs `wippy run` on a copy of examples/task-queue whose worker has the tutorial's
`time.sleep("100ms")` line removed (see without_sleep), POSTs N tasks at
concurrency C, waits until every row exists, then measures GET /tasks with
the table full. Then the same POST load against bench/bare_app.py.

Each round runs both, one after the other; the ratios are per round, and the
summary gives their median over the rounds (one run on a shared 2-core VM
swings by 10-15 %, on either side).

    python bench/bench.py [--tasks 2000] [--concurrency 32] [--rounds 3]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import statistics
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import loadgen  # noqa: E402

HERE = Path(__file__).parent
ROOT = HERE.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start")


def post_bodies(n: int) -> list[bytes]:
    return [loadgen.build("POST", "/tasks", json.dumps(
        {"action": "uppercase", "data": {"text": f"task {i}"}}).encode()) for i in range(n)]


def row_count(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM tasks").fetchone()[0]
    except sqlite3.Error:
        return 0


SLEEP_LINE = 'time.sleep("100ms")'


def without_sleep(source: str) -> str:
    """The tutorial's worker minus its simulated work, so the runtime is measured."""
    lines = [line for line in source.splitlines(keepends=True) if SLEEP_LINE not in line]
    if len(lines) == len(source.splitlines()):
        raise SystemExit(f"process_task.lua no longer contains {SLEEP_LINE}; update the bench")
    return "".join(lines)


DRIVERS = {"memory": [], "sqlite": ["-o", "app:queue_driver:kind=queue.driver.sqlite"]}


def bench_wippy(n: int, concurrency: int, driver: str = "memory") -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="wippy-bench-"))
    try:
        project = tmp / "task-queue"
        shutil.copytree(ROOT / "examples/task-queue/src", project / "src")
        worker = project / "src/process_task.lua"
        worker.write_text(without_sleep(worker.read_text()))
        (project / "data").mkdir()
        subprocess.run([sys.executable, "-m", "wippy", "init"], cwd=project, check=True,
                       stdout=subprocess.DEVNULL)
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "wippy", "run", "-s",
                                 "-o", f"app:gateway:addr=127.0.0.1:{port}", *DRIVERS[driver]],
                                cwd=project)
        try:
            wait_port(port, proc)
            db = project / "data/tasks.db"
            deadline = time.monotonic() + 30
            while row_count(db) == 0 and time.monotonic() < deadline:
                # the table exists once the migration ran
                try:
                    with sqlite3.connect(db) as c:
                        c.execute("SELECT 1 FROM tasks LIMIT 1")
                    break
                except sqlite3.Error:
                    time.sleep(0.05)
            t0 = time.perf_counter()
            post = asyncio.run(loadgen.run(port, post_bodies(n), concurrency))
            while row_count(db) < n and time.perf_counter() - t0 < 120:
                time.sleep(0.01)
            e2e = time.perf_counter() - t0
            rows = row_count(db)
            gets = [loadgen.build("GET", "/tasks") for _ in range(n)]
            get = asyncio.run(loadgen.run(port, gets, concurrency))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        return {"post": post, "e2e_seconds": e2e, "rows": rows, "e2e_tps": rows / e2e, "get": get}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench_bare(n: int, concurrency: int) -> dict:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(HERE / "bare_app.py"), str(port)])
    try:
        wait_port(port, proc)
        return asyncio.run(loadgen.run(port, post_bodies(n), concurrency))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--driver", choices=sorted(DRIVERS), default="memory",
                    help="sqlite: also run the tutorial on queue.driver.sqlite each round")
    args = ap.parse_args()
    print(f"tasks={args.tasks} concurrency={args.concurrency} rounds={args.rounds} "
          f"driver={args.driver}")
    post_ratios, e2e_ratios, durable_ratios, durable_p99 = [], [], [], []
    for i in range(1, args.rounds + 1):
        wippy = bench_wippy(args.tasks, args.concurrency)
        durable = (bench_wippy(args.tasks, args.concurrency, args.driver)
                   if args.driver != "memory" else None)
        bare = bench_bare(args.tasks, args.concurrency)
        print(f"round {i}")
        show("wippy", wippy)
        if durable is not None:
            show(args.driver, durable)
            durable_ratios.append(durable["e2e_tps"] / wippy["e2e_tps"])
            durable_p99.append(durable["post"]["p99_ms"])
            print(f"  {args.driver} e2e / memory e2e {durable_ratios[-1]:.2f}x (aim >= 0.8x)")
        post = wippy["post"]
        print(f"  bare POST    {bare['rps']:8.0f} req/s  p50 {bare['p50_ms']:6.2f} ms  "
              f"p99 {bare['p99_ms']:6.2f} ms")
        post_ratios.append(post["rps"] / bare["rps"])
        e2e_ratios.append(wippy["e2e_tps"] / bare["rps"])
        print(f"  POST/bare {post_ratios[-1]:.0%}   e2e/bare {e2e_ratios[-1]:.0%}")
    print(f"median of {args.rounds} rounds: POST/bare {statistics.median(post_ratios):.0%} "
          f"(aim >= 40%)   e2e/bare {statistics.median(e2e_ratios):.0%} (aim >= 20%)")
    if durable_ratios:
        print(f"median of {args.rounds} rounds: {args.driver} e2e / memory e2e "
              f"{statistics.median(durable_ratios):.2f}x (aim >= 0.8x)   {args.driver} POST "
              f"p99 {statistics.median(durable_p99):.2f} ms (aim <= 20 ms)")


def show(label: str, run: dict) -> None:
    post, get = run["post"], run["get"]
    print(f"  {label:<6} POST  {post['rps']:8.0f} req/s  p50 {post['p50_ms']:6.2f} ms  "
          f"p99 {post['p99_ms']:6.2f} ms  statuses {post['statuses']}")
    print(f"  {label:<6} e2e   {run['e2e_tps']:8.0f} tasks/s  ({run['rows']} rows in "
          f"{run['e2e_seconds']:.2f} s)")
    print(f"  {label:<6} GET   {get['rps']:8.0f} req/s  p50 {get['p50_ms']:6.2f} ms  "
          f"p99 {get['p99_ms']:6.2f} ms  (table full, 100 rows per page)")


if __name__ == "__main__":
    main()
