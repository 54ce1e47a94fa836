"""A locked database and a full disk while the tutorial runs (cases 28 and 29)."""
from __future__ import annotations

import resource
import signal
import sqlite3
import time

import httpx
import pytest

from .harness import (FaultProcess, db_ids, db_path, free_port, integrity, make_project,
                      post_task, wait_until)

pytestmark = pytest.mark.e2e

HOLD = 2.0   # how long another connection keeps the write lock (the scenario, not a wait)


def test_locked_database_delays_writes_but_reads_keep_answering(tmp_path):
    project = make_project(tmp_path)
    proc = FaultProcess(project, free_port())
    try:
        proc.wait_ready()
        wait_until(lambda: any("migration complete" in line for line in proc.lines), 10)
        with httpx.Client(base_url=proc.url, timeout=5) as client:
            locker = sqlite3.connect(db_path(project), isolation_level=None)
            locker.execute("BEGIN IMMEDIATE")
            try:
                ids = [post_task(client, {"action": "sum", "data": {"numbers": [i]}}).json()["id"]
                       for i in range(5)]
                released = time.monotonic() + HOLD
                while time.monotonic() < released:
                    started = time.monotonic()
                    r = client.get("/tasks")
                    assert r.status_code == 200 and time.monotonic() - started < 1.0
                    assert r.json()["count"] == 0       # no write got through the lock
            finally:
                locker.execute("ROLLBACK")
                locker.close()
            wait_until(lambda: set(ids) <= db_ids(project), 15,
                       message="processing resumed after the lock was released")
        assert proc.stop() == 0
    finally:
        proc.kill()
    assert integrity(project) == "ok"


LIMIT = 256 * 1024


def _limit_file_size() -> None:
    # EFBIG instead of a SIGXFSZ kill when a write would pass the limit.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, resource.RLIM_INFINITY))


def test_disk_full_makes_writes_retry_and_resume_when_space_returns(tmp_path):
    if not hasattr(resource, "prlimit"):
        pytest.skip("needs resource.prlimit (Linux) to give the process its space back")
    project = make_project(tmp_path)
    proc = FaultProcess(project, free_port(),
                        ["-o", "app:tasks_queue:retry.initial_delay=100ms",
                         "-o", "app:tasks_queue:retry.max_delay=500ms"],
                        preexec_fn=_limit_file_size)
    try:
        proc.wait_ready()
        wait_until(lambda: any("migration complete" in line for line in proc.lines), 10)
        big = "x" * 40_000
        ids = []
        with httpx.Client(base_url=proc.url, timeout=5) as client:
            for i in range(12):   # ~80 KB a row: well past the 256 KiB limit on the WAL
                r = post_task(client, {"action": "uppercase", "data": {"text": f"{i}{big}"}})
                assert r.status_code == 202
                ids.append(r.json()["id"])
            full = ("disk I/O error", "database or disk is full")
            wait_until(lambda: any(any(f in line for f in full) for line in proc.lines), 15,
                       message="a write failing on the file size limit")
            assert set(ids) - db_ids(project), "every write fit: the limit did not bite"
            assert client.get("/tasks").status_code == 200     # reads still answer
            # Space comes back: retries go through on their own.
            resource.prlimit(proc.proc.pid, resource.RLIMIT_FSIZE,
                             (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            wait_until(lambda: set(ids) <= db_ids(project), 20,
                       message="every accepted task stored once space returned")
        assert proc.stop() == 0
    finally:
        proc.kill()
    assert integrity(project) == "ok"
