"""The unmodified task-queue tutorial on PostgreSQL: `wippy run` with overrides that switch
app:db's kind, answering as on SQLite; then a server restart under load."""
from __future__ import annotations

import json
import signal
import subprocess

import httpx
import pytest

from tests.e2e.conftest import WippyProcess, free_port, make_project, wait_until

pytestmark = pytest.mark.e2e


def pg_overrides(server, database) -> list[str]:
    pairs = {"kind": "db.sql.postgres", "host": server.host, "port": server.port,
             "database": database, "username": server.user, "password": server.password}
    args = []
    for key, value in pairs.items():
        args += ["-o", f"app:db:{key}={value}"]
    return args


@pytest.fixture
def pg_wippy(tmp_path, postgres_server, pg_database):
    proc = WippyProcess(make_project(tmp_path), free_port(),
                        pg_overrides(postgres_server, pg_database))
    try:
        proc.wait_ready()
        yield proc
    finally:
        if proc.proc.poll() is None:
            proc.signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def post(client, body):
    return client.post("/tasks", content=json.dumps(body),
                       headers={"Content-Type": "application/json"})


def completed(client, n, timeout=15):
    def check():
        data = client.get("/tasks", params={"status": "completed"}).json()
        return data if data["count"] >= n else None
    return wait_until(check, timeout, message=f"{n} completed tasks")


def test_tutorial_answers_as_on_sqlite(pg_wippy, postgres_server, pg_database):
    with httpx.Client(base_url=pg_wippy.url, timeout=10) as client:
        assert client.get("/tasks").json() == {"tasks": [], "count": 0}
        r = post(client, {"action": "uppercase", "data": {"text": "hello world"}})
        assert r.status_code == 202 and r.json()["status"] == "queued"
        post(client, {"action": "sum", "data": {"numbers": [1, 2, 3, 4]}})
        data = completed(client, 2)
        results = sorted(t["result"] for t in data["tasks"])
        assert results == sorted(['{"output":"HELLO WORLD"}', '{"output":10}'])
        task = data["tasks"][0]
        assert isinstance(task["created_at"], int) and isinstance(task["processed_at"], int)
    # The rows are in PostgreSQL, not in a SQLite file.
    assert postgres_server.psql("SELECT count(*) FROM tasks WHERE status = 'completed'",
                                pg_database).strip() == "2"
    assert "Traceback" not in pg_wippy.logs


def test_server_restart_under_load_then_recovery(pg_wippy, postgres_server, pg_database):
    with httpx.Client(base_url=pg_wippy.url, timeout=10) as client:
        for i in range(20):
            post(client, {"action": "uppercase", "data": {"text": f"t{i}"}})
        postgres_server.restart()
        # Requests during/after the restart: errors are answered (no hang, no traceback to
        # the client); once the pool has reconnected, everything works again.
        statuses = [client.get("/tasks").status_code for _ in range(5)]
        assert all(s in (200, 500, 503) for s in statuses), statuses

        def healthy():
            r = post(client, {"action": "uppercase", "data": {"text": "after"}})
            return r.status_code == 202
        wait_until(healthy, 15, message="POST /tasks accepted after the restart")
        wait_until(lambda: "AFTER" in client.get("/tasks").text, 15,
                   message="the task posted after the restart completed")
        assert "Traceback" not in client.get("/tasks").text
    assert "Traceback" not in pg_wippy.logs


def test_server_down_at_start_is_retried_with_one_clear_line(tmp_path):
    dead_port = free_port()   # nothing listens there
    proc = WippyProcess(make_project(tmp_path), free_port(), [
        "-o", "app:db:kind=db.sql.postgres", "-o", "app:db:host=127.0.0.1",
        "-o", f"app:db:port={dead_port}", "-o", "app:db:database=app",
        "-o", "app:db:username=app", "-o", "app:db:password=x"])
    try:
        line = f"cannot connect to PostgreSQL at 127.0.0.1:{dead_port}/app"
        wait_until(lambda: sum(line in entry and "attempt=" in entry and "service=app:db" in entry
                               for entry in proc.lines) >= 2, 20,
                   message="two failed start attempts of app:db")
        assert proc.proc.poll() is None          # retrying, not crashed
        assert "Traceback" not in proc.logs
    finally:
        proc.signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
