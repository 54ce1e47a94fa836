"""The unmodified tutorial on `queue.driver.sqlite` (one `-o` switches the driver), as real
`wippy run` processes: SIGKILL and SIGTERM lose nothing answered 202, a killed handler's
task comes back after its lease, two processes share one queue file, and a bad queue file
or a full disk is reported clearly."""
from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from .harness import (FaultProcess, db_ids, free_port, integrity, logged_ids, make_project,
                      post_task, set_handler_sleep, wait_logged, wait_until)

pytestmark = pytest.mark.e2e

SQLITE = ["-o", "app:queue_driver:kind=queue.driver.sqlite"]


def queue_file(project: Path) -> Path:
    return project / "data" / "queues.db"


def queued(project: Path) -> int:
    conn = sqlite3.connect(queue_file(project), timeout=10)
    try:
        return conn.execute("SELECT count(*) FROM wippy_queue_message").fetchone()[0]
    finally:
        conn.close()


def queued_task_ids(project: Path) -> list[str]:
    """The task ids in the messages still queued (bodies are b"j" + the task's JSON)."""
    conn = sqlite3.connect(queue_file(project), timeout=10)
    try:
        bodies = [row[0] for row in conn.execute("SELECT body FROM wippy_queue_message")]
    finally:
        conn.close()
    return [json.loads(bytes(body[1:]))["id"] for body in bodies]


def burst(proc: FaultProcess, n: int) -> list[str]:
    with httpx.Client(base_url=proc.url, timeout=10) as client:
        responses = [post_task(client, {"action": "uppercase", "data": {"text": f"n{i}"}})
                     for i in range(n)]
    assert all(r.status_code == 202 for r in responses), [r.status_code for r in responses]
    return [r.json()["id"] for r in responses]


def restart_until_done(project: Path, ids: list[str], *args: str) -> FaultProcess:
    proc = FaultProcess(project, free_port(), SQLITE + list(args))
    try:
        proc.wait_ready()
        wait_until(lambda: set(ids) <= db_ids(project), 60,
                   message=f"all {len(ids)} accepted tasks stored after the restart")
        assert proc.stop() == 0, proc.logs
    finally:
        proc.kill()
    return proc


def test_sigkill_right_after_the_last_202_loses_nothing(tmp_path):
    project = make_project(tmp_path)
    proc = FaultProcess(project, free_port(), SQLITE)
    try:
        proc.wait_ready()
        ids = burst(proc, 150)
        proc.kill()                    # SIGKILL: no shutdown code runs
    finally:
        proc.kill()
    assert len(db_ids(project)) < len(ids), "all done before the kill: the test proves nothing"
    assert queued(project) > 0
    again = restart_until_done(project, ids)
    # At-least-once: a kill between a task's INSERT and its ack's COMMIT delivers that
    # message again, and the tutorial's handler answers a stored id with an error, so
    # such a duplicate stays queued for retry. Anything left must be such a duplicate.
    left = queued_task_ids(project)
    assert set(left) <= db_ids(project), again.logs
    assert len(left) <= 10, again.logs      # at most the leases held at the kill (2 x 5)
    assert integrity(project) == "ok"


def test_sigterm_with_a_backlog_keeps_it_for_the_next_run(tmp_path):
    project = make_project(tmp_path)
    proc = FaultProcess(project, free_port(), SQLITE)
    try:
        proc.wait_ready()
        ids = burst(proc, 100)
        proc.signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
    finally:
        proc.kill()
    assert code == 0, proc.logs
    left = queued(project)
    assert left > 0 and left + len(db_ids(project)) >= len(ids), proc.logs
    restart_until_done(project, ids)


def test_a_handler_killed_mid_run_is_redelivered_after_its_lease(tmp_path):
    project = make_project(tmp_path)
    set_handler_sleep(project, "1500ms")
    lease = ["-o", "app:queue_driver:lease=1s"]
    proc = FaultProcess(project, free_port(), SQLITE + lease)
    try:
        proc.wait_ready()
        [task] = burst(proc, 1)
        wait_until(lambda: task in logged_ids(proc.lines, "processing task"), 10,
                   message="the handler started")
        proc.kill()
    finally:
        proc.kill()
    assert task not in db_ids(project)
    again = FaultProcess(project, free_port(), SQLITE + lease)
    try:
        again.wait_ready()
        wait_until(lambda: task in db_ids(project), 15, message="redelivered and stored")
        wait_logged([again], "processing task", [task])   # this run handled it (polled)
        assert again.stop() == 0
    finally:
        again.kill()


def test_two_processes_on_one_queue_file_share_the_work(tmp_path):
    project = make_project(tmp_path)
    set_handler_sleep(project, "20ms")
    a = FaultProcess(project, free_port(), SQLITE + ["-o", "app:queue_driver:poll_interval=100ms"])
    b = FaultProcess(project, free_port(), SQLITE + ["-o", "app:queue_driver:poll_interval=100ms"])
    try:
        a.wait_ready()
        b.wait_ready()
        ids = burst(a, 100) + burst(b, 100)
        wait_until(lambda: set(ids) <= db_ids(project), 60, message="all 200 stored")
        done_a, done_b = wait_logged([a, b], "task completed", ids)   # logged after the commit
        assert done_a and done_b, "one process did all the work"
        assert set(done_a) | set(done_b) == set(ids)
        assert len(done_a) + len(done_b) == len(ids), "a task was handled twice"
        assert a.stop() == 0 and b.stop() == 0
    finally:
        a.kill()
        b.kill()


def refuse_to_start(project: Path, *args: str) -> str:
    proc = FaultProcess(project, free_port(), SQLITE + list(args))
    try:
        code = proc.wait(timeout=10)
    finally:
        proc.kill()
    assert code == 1, proc.logs
    errors = [line for line in proc.lines if line.startswith("Error: ")]
    assert len(errors) == 1, proc.logs
    return errors[0]


def test_a_corrupt_queue_file_refuses_to_start(tmp_path):
    project = make_project(tmp_path)
    queue_file(project).write_bytes(os.urandom(16384))
    error = refuse_to_start(project)
    assert error.startswith("Error: app:queue_driver: queue file ./data/queues.db is not a "
                            "usable SQLite database"), error


def test_a_locked_queue_file_refuses_to_start(tmp_path):
    project = make_project(tmp_path)
    locker = sqlite3.connect(queue_file(project), isolation_level=None)
    locker.execute("CREATE TABLE other (x)")
    locker.execute("BEGIN EXCLUSIVE")       # another program keeps the file locked
    try:
        error = refuse_to_start(project, "-o", "app:queue_driver:busy_timeout=300ms")
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert "queue file ./data/queues.db is locked by another process" in error, error
    assert "busy_timeout (300 ms)" in error


LIMIT = 512 * 1024


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)    # EFBIG instead of a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, resource.RLIM_INFINITY))


def test_full_disk_refuses_new_tasks_and_keeps_every_accepted_one(tmp_path):
    if not hasattr(resource, "prlimit"):
        pytest.skip("needs resource.prlimit (Linux) to give the process its space back")
    project = make_project(tmp_path)
    set_handler_sleep(project, "1s")     # the backlog grows in the queue file
    proc = FaultProcess(project, free_port(), SQLITE, preexec_fn=_limit_file_size)
    try:
        proc.wait_ready()
        big = "x" * 30_000
        accepted, refused = [], 0
        with httpx.Client(base_url=proc.url, timeout=10) as client:
            for i in range(40):          # ~1.2 MB of tasks against a 512 KiB file limit
                r = post_task(client, {"action": "uppercase", "data": {"text": f"{i}{big}"}})
                if r.status_code == 202:
                    accepted.append(r.json()["id"])
                else:
                    assert r.status_code == 500 and r.json() == {"error": "failed to queue task"}
                    refused += 1
        assert refused and accepted, (refused, len(accepted))
        resource.prlimit(proc.proc.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        assert proc.stop() == 0, proc.logs
    finally:
        proc.kill()
    restart_until_done(project, accepted)
    assert integrity(project) == "ok"
