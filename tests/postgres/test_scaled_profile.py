"""examples/task-queue/.wippy.yaml's `scaled` profile: the unmodified tutorial, started with
`wippy run --profile scaled` against the session's PostgreSQL and RabbitMQ, stores its tasks
in PostgreSQL and queues them on the broker; without the profile it is the SQLite tutorial."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import EXAMPLE, WippyProcess, free_port, wait_until

pytestmark = pytest.mark.e2e


def example_copy(tmp_path: Path) -> Path:
    """The example directory as a user has it: src/ and .wippy.yaml, then `wippy init`."""
    project = tmp_path / "task-queue"
    shutil.copytree(EXAMPLE / "src", project / "src")
    shutil.copy(EXAMPLE / ".wippy.yaml", project / ".wippy.yaml")
    (project / "data").mkdir()
    subprocess.run([sys.executable, "-m", "wippy", "init"], cwd=project, check=True,
                   capture_output=True, timeout=60)
    return project


def scaled_env(monkeypatch, server, database, amqp_url) -> None:
    # WippyProcess passes os.environ on; .wippy.yaml reads these when it is loaded.
    monkeypatch.setenv("WIPPY_PG_HOST", server.host)
    monkeypatch.setenv("WIPPY_PG_DATABASE", database)
    monkeypatch.setenv("WIPPY_PG_USER", server.user)
    monkeypatch.setenv("WIPPY_PG_PASSWORD", server.password)
    monkeypatch.setenv("WIPPY_AMQP_URL", amqp_url)


def stop(proc: WippyProcess) -> int:
    if proc.proc.poll() is None:
        proc.signal(signal.SIGTERM)
        try:
            return proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.proc.returncode


def post(client: httpx.Client, body: dict) -> httpx.Response:
    return client.post("/tasks", content=json.dumps(body),
                       headers={"Content-Type": "application/json"})


def test_profile_scaled_runs_the_tutorial_on_postgres_and_rabbitmq(
        tmp_path, monkeypatch, postgres_server, pg_database, rabbitmq_server, amqp_url):
    project = example_copy(tmp_path)
    scaled_env(monkeypatch, postgres_server, pg_database, amqp_url)
    proc = WippyProcess(project, free_port(), ["--profile", "scaled",
                                               "--set", f"vars.pg_port={postgres_server.port}"])
    try:
        proc.wait_ready(30)
        with httpx.Client(base_url=proc.url, timeout=10) as client:
            ids = [post(client, {"action": "uppercase", "data": {"text": f"t{i}"}}).json()["id"]
                   for i in range(10)]
            wait_until(lambda: client.get("/tasks", params={"status": "completed"})
                       .json()["count"] == 10, 30, message="10 completed tasks")
        # The rows are in PostgreSQL, and no SQLite file was written.
        stored = postgres_server.psql("SELECT id FROM tasks WHERE status = 'completed'",
                                      pg_database).split()
        assert sorted(stored) == sorted(ids)
        assert not (project / "data" / "tasks.db").exists()
        # The queue is on the broker, with this node's consumer on it.
        vhost = amqp_url.rsplit("/", 1)[1]
        queues = rabbitmq_server.ctl("list_queues", "-p", vhost, "name", "consumers")
        assert any(line.split()[-1] != "0" for line in queues.splitlines()
                   if "tasks_queue" in line), queues
        assert stop(proc) == 0, proc.logs
        assert "Traceback" not in proc.logs
    finally:
        proc.kill()


def test_without_the_profile_the_example_is_the_sqlite_tutorial(tmp_path, monkeypatch):
    # Pointing the env at servers that do not exist changes nothing without --profile.
    monkeypatch.setenv("WIPPY_PG_HOST", "127.0.0.1")
    monkeypatch.setenv("WIPPY_AMQP_URL", f"amqp://guest:guest@127.0.0.1:{free_port()}/")
    project = example_copy(tmp_path)
    proc = WippyProcess(project, free_port())
    try:
        proc.wait_ready()
        with httpx.Client(base_url=proc.url, timeout=10) as client:
            assert post(client, {"action": "sum", "data": {"numbers": [1, 2]}}).status_code == 202
            wait_until(lambda: client.get("/tasks", params={"status": "completed"})
                       .json()["count"] == 1, 15, message="1 completed task")
        assert (project / "data" / "tasks.db").exists()
        assert stop(proc) == 0, proc.logs
        assert "WARN" not in proc.logs, proc.logs   # the config adds no warning either
    finally:
        proc.kill()
