"""Several nodes of the unmodified tutorial on `--profile scaled` (PostgreSQL + RabbitMQ):
one of two SIGKILLed mid-run, and the broker restarted mid-run, lose no accepted task."""
from __future__ import annotations

import shutil
import signal
import tempfile

import httpx
import pytest

from tests.e2e.conftest import WippyProcess, free_port, wait_until
from tests.rabbitmq_server import RabbitServer

from .test_scaled_profile import example_copy, post, scaled_env, stop

pytestmark = pytest.mark.e2e


def stored_ids(server, database) -> set[str]:
    try:
        return set(server.psql("SELECT id FROM tasks", database).split())
    except RuntimeError:       # no table yet
        return set()


def node(project, server) -> WippyProcess:
    return WippyProcess(project, free_port(), ["--profile", "scaled",
                                               "--set", f"vars.pg_port={server.port}"])


def accepted(proc: WippyProcess, n: int, prefix: str) -> list[str]:
    with httpx.Client(base_url=proc.url, timeout=10) as client:
        responses = [post(client, {"action": "uppercase", "data": {"text": f"{prefix}{i}"}})
                     for i in range(n)]
    assert all(r.status_code == 202 for r in responses), [r.status_code for r in responses]
    return [r.json()["id"] for r in responses]


def test_two_nodes_one_sigkilled_mid_run_complete_every_accepted_task(
        tmp_path, monkeypatch, postgres_server, pg_database, amqp_url):
    project = example_copy(tmp_path)
    scaled_env(monkeypatch, postgres_server, pg_database, amqp_url)
    a, b = node(project, postgres_server), node(project, postgres_server)
    try:
        a.wait_ready(30)
        b.wait_ready(30)
        # The tutorial's handler sleeps 100 ms with 2 workers a node: ~40 tasks/s for both,
        # so 200 tasks take seconds and the kill lands mid-run.
        ids = accepted(a, 100, "a") + accepted(b, 100, "b")
        wait_until(lambda: len(stored_ids(postgres_server, pg_database)) >= 30, 30,
                   message="30 tasks stored before the kill")
        a.proc.send_signal(signal.SIGKILL)
        a.wait(10)
        assert len(stored_ids(postgres_server, pg_database)) < len(ids), "the run was over"
        wait_until(lambda: set(ids) <= stored_ids(postgres_server, pg_database), 90,
                   message="every accepted task stored after the kill")
        assert len(stored_ids(postgres_server, pg_database)) == len(ids)   # distinct ids
        assert "Traceback" not in b.logs
        assert stop(b) == 0, b.logs
    finally:
        a.kill()
        b.kill()


def test_broker_restart_mid_run_loses_no_accepted_task_and_the_node_goes_on(
        tmp_path, monkeypatch, postgres_server, pg_database):
    directory = tempfile.mkdtemp(prefix="wippy-rmq-restart-")    # a broker of its own
    broker = RabbitServer(directory)
    broker.start()
    project = example_copy(tmp_path)
    scaled_env(monkeypatch, postgres_server, pg_database, broker.url)
    monkeypatch.setenv("WIPPY_NODE_ID", "restart-node")
    proc = node(project, postgres_server)
    try:
        proc.wait_ready(30)
        ids = accepted(proc, 60, "before")
        wait_until(lambda: len(stored_ids(postgres_server, pg_database)) >= 5, 30,
                   message="the run under way")
        broker.stop()
        with httpx.Client(base_url=proc.url, timeout=10) as client:
            # While the broker is away nothing is answered "accepted".
            during = post(client, {"action": "sum", "data": {"numbers": [1]}})
            assert during.status_code != 202, during.text
        broker = RabbitServer(directory, port=broker.port)
        broker.start()

        def accepting() -> bool:
            with httpx.Client(base_url=proc.url, timeout=10) as client:
                r = post(client, {"action": "uppercase", "data": {"text": "after"}})
            if r.status_code == 202:
                ids.append(r.json()["id"])
                return True
            return False
        wait_until(accepting, 60, message="the node accepting again, by itself")
        wait_until(lambda: set(ids) <= stored_ids(postgres_server, pg_database), 90,
                   message="every accepted task stored after the restart")
        assert proc.proc.poll() is None
        assert stop(proc) == 0, proc.logs
    finally:
        proc.kill()
        broker.stop()
        shutil.rmtree(directory, ignore_errors=True)
