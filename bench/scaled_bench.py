"""Benchmark: the task-queue tutorial scaled out, on PostgreSQL + RabbitMQ, with one node and
with two, next to the same load on one node with the durable SQLite queue.

Starts a private PostgreSQL and RabbitMQ with the tests' starters (tests/postgres_server.py,
tests/rabbitmq_server.py), then in each round:

- `sqlite`: one `wippy run -o app:queue_driver:kind=queue.driver.sqlite` (bench.py's run);
- `scaled x1`: one `wippy run --profile scaled` (examples/task-queue/.wippy.yaml) on a
  fresh database and vhost;
- `scaled x2`: two such nodes on one fresh database and vhost, the POST connections split
  evenly between them.

Every run uses a copy of the example whose worker has the tutorial's 100 ms sleep removed
(bench.without_sleep), POSTs N tasks at concurrency C and polls until every row exists:
end-to-end tasks/s from the first POST, and POST latency p50/p99 (for two nodes, the worse
node's). The PostgreSQL here runs with fsync off (the tests' throw-away server); RabbitMQ
writes its durable queue as usual.

    python bench/scaled_bench.py [--tasks 2000] [--concurrency 32] [--rounds 3]
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
import time
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
import bench  # noqa: E402  (free_port, wait_port, post_bodies, without_sleep, bench_wippy)
import loadgen  # noqa: E402
from tests.postgres_server import PostgresServer  # noqa: E402
from tests.rabbitmq_server import RabbitServer  # noqa: E402


def scaled_project(tmp: Path) -> Path:
    project = tmp / "task-queue"
    shutil.copytree(ROOT / "examples/task-queue/src", project / "src")
    shutil.copy(ROOT / "examples/task-queue/.wippy.yaml", project / ".wippy.yaml")
    worker = project / "src/process_task.lua"
    worker.write_text(bench.without_sleep(worker.read_text()))
    (project / "data").mkdir()
    subprocess.run([sys.executable, "-m", "wippy", "init"], cwd=project, check=True,
                   stdout=subprocess.DEVNULL)
    return project


def pg_rows(pg: PostgresServer, database: str) -> int:
    try:
        return int(pg.psql("SELECT count(*) FROM tasks", database).strip() or 0)
    except RuntimeError:      # the migration has not made the table yet
        return 0


def bench_scaled(pg: PostgresServer, amqp_url: str, database: str, n: int, concurrency: int,
                 nodes: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="wippy-scaled-bench-"))
    procs: list[subprocess.Popen] = []
    try:
        project = scaled_project(tmp)
        pg.create_database(database)
        env = dict(bench.os.environ, WIPPY_PG_HOST=pg.host, WIPPY_PG_DATABASE=database,
                   WIPPY_PG_USER=pg.user, WIPPY_PG_PASSWORD=pg.password, WIPPY_AMQP_URL=amqp_url)
        ports = [bench.free_port() for _ in range(nodes)]
        for port in ports:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "wippy", "run", "-s", "--profile", "scaled",
                 "--set", f"vars.pg_port={pg.port}", "-o", f"app:gateway:addr=127.0.0.1:{port}"],
                cwd=project, env=env))
        for port, proc in zip(ports, procs):
            bench.wait_port(port, proc)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:      # the migration made the table
            try:
                pg.psql("SELECT 1 FROM tasks LIMIT 1", database)
                break
            except RuntimeError:
                time.sleep(0.1)
        bodies = bench.post_bodies(n)
        shares = [bodies[i::nodes] for i in range(nodes)]
        per_node = max(1, concurrency // nodes)

        async def load():
            return await asyncio.gather(*(loadgen.run(port, share, per_node)
                                          for port, share in zip(ports, shares)))
        t0 = time.perf_counter()
        posts = asyncio.run(load())
        post_elapsed = time.perf_counter() - t0
        rows = pg_rows(pg, database)
        while rows < n and time.perf_counter() - t0 < 180:
            time.sleep(0.05)
            rows = pg_rows(pg, database)
        e2e = time.perf_counter() - t0
        statuses: dict[int, int] = {}
        for post in posts:
            for status, count in post["statuses"].items():
                statuses[status] = statuses.get(status, 0) + count
        return {"rows": rows, "e2e_seconds": e2e, "e2e_tps": rows / e2e,
                "post_rps": n / post_elapsed, "p50_ms": max(p["p50_ms"] for p in posts),
                "p99_ms": max(p["p99_ms"] for p in posts), "statuses": statuses}
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    # Each server in a temp directory of its own (PostgreSQL's is handed to its user).
    pg_dir = tempfile.mkdtemp(prefix="wippy-bench-pg-")
    rabbit_dir = tempfile.mkdtemp(prefix="wippy-bench-rmq-")
    pg = PostgresServer(pg_dir)
    rabbit = RabbitServer(rabbit_dir, vhosts=2 * args.rounds)
    pg.init()
    pg.start()
    try:
        rabbit.start()
        results: dict[str, list[dict]] = {"sqlite": [], "scaled x1": [], "scaled x2": []}
        for r in range(args.rounds):
            sqlite = bench.bench_wippy(args.tasks, args.concurrency, driver="sqlite")
            results["sqlite"].append({"e2e_tps": sqlite["e2e_tps"], "rows": sqlite["rows"],
                                      "post_rps": sqlite["post"]["rps"],
                                      "p50_ms": sqlite["post"]["p50_ms"],
                                      "p99_ms": sqlite["post"]["p99_ms"]})
            for nodes in (1, 2):
                results[f"scaled x{nodes}"].append(bench_scaled(
                    pg, rabbit.vhost_url(2 * r + nodes), f"bench_{r}_{nodes}", args.tasks,
                    args.concurrency, nodes))
            for label, runs in results.items():
                show(f"round {r + 1} {label}", runs[-1])
        print(f"\nmedians over {args.rounds} rounds, N={args.tasks}, C={args.concurrency}:")
        for label, runs in results.items():
            print(f"  {label:10} e2e {statistics.median(x['e2e_tps'] for x in runs):7.0f} tasks/s"
                  f"  POST {statistics.median(x['post_rps'] for x in runs):7.0f} req/s"
                  f"  p50 {statistics.median(x['p50_ms'] for x in runs):6.1f} ms"
                  f"  p99 {statistics.median(x['p99_ms'] for x in runs):6.1f} ms")
    finally:
        rabbit.stop()
        pg.stop("immediate")
        shutil.rmtree(pg_dir, ignore_errors=True)
        shutil.rmtree(rabbit_dir, ignore_errors=True)


def show(label: str, run: dict) -> None:
    print(f"{label:20} rows {run['rows']:5}  e2e {run['e2e_tps']:7.0f} tasks/s  "
          f"POST {run['post_rps']:7.0f} req/s  p50 {run['p50_ms']:6.1f} ms  "
          f"p99 {run['p99_ms']:6.1f} ms", flush=True)
    if set(run.get("statuses", {202: 0})) != {202}:
        print(f"{'':20} statuses {run['statuses']} (not every POST was accepted)", flush=True)


if __name__ == "__main__":
    main()
