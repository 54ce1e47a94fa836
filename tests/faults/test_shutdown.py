"""Graceful shutdown with real signals (reliability requirement 17, case 32)."""
from __future__ import annotations

import re
import signal
import socket
import time

import httpx
import pytest

from .harness import (FaultProcess, db_ids, free_port, logged_ids, make_project, post_task,
                      refused, set_handler_sleep, wait_until)

pytestmark = pytest.mark.e2e


def test_sigterm_closes_listener_drains_in_flight_and_logs_drops(tmp_path):
    project = make_project(tmp_path)
    set_handler_sleep(project, "1s")
    port = free_port()
    # A short gateway stop timeout keeps the stalled client's grace period short; no
    # drain (test_sigterm_drains_the_memory_backlog has it), so what is queued is dropped.
    proc = FaultProcess(project, port, ["-o", "app:gateway:lifecycle.stop_timeout=2s",
                                        "-o", "app:queue_driver:drain_timeout=0s"])
    stalled = None
    try:
        proc.wait_ready()
        with httpx.Client(base_url=proc.url, timeout=5) as client:
            posted = [post_task(client, {"action": "uppercase", "data": {"text": f"t{i}"}})
                      for i in range(22)]
        assert all(r.status_code == 202 for r in posted)
        wait_until(lambda: len(logged_ids(proc.lines, "processing task")) >= 2, 10,
                   message="two handlers in flight")
        # A client that sends half a request body and then nothing.
        stalled = socket.create_connection(("127.0.0.1", port))
        stalled.sendall(b"POST /tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                        b"\r\nContent-Length: 100\r\n\r\n{\"action\":")
        in_flight = set(logged_ids(proc.lines, "processing task"))
        signalled = time.monotonic()
        proc.signal(signal.SIGTERM)
        wait_until(lambda: refused(port), 0.5, interval=0.01,
                   message="listener closed within 0.5 s")
        code = proc.wait(timeout=8)
        elapsed = time.monotonic() - signalled
    finally:
        if stalled is not None:
            stalled.close()
        proc.kill()
    assert code == 0, proc.logs
    assert elapsed < 5, f"shutdown took {elapsed:.1f}s"
    lines = proc.lines
    cut = next(i for i, line in enumerate(lines) if "received shutdown signal" in line)
    # Consumers stopped fetching: no handler started after the signal.
    assert logged_ids(lines[cut:], "processing task") == [], proc.logs
    # Handlers in flight when the signal came finished, and their rows are committed.
    assert in_flight <= set(logged_ids(lines, "task completed")), proc.logs
    assert in_flight <= db_ids(project)
    # The memory driver said how many queued messages it dropped.
    drops = [int(m.group(1)) for line in lines if "memory queue driver stopped" in line
             for m in [re.search(r"\bdropped=(\d+)", line)] if m]
    assert drops and drops[0] == 22 - len(db_ids(project)), proc.logs
    assert any("stopped" == line.split()[-1] for line in lines), proc.logs


def _drops(lines: list[str]) -> list[int]:
    return [int(m.group(1)) for line in lines if "memory queue driver stopped" in line
            for m in [re.search(r"\bdropped=(\d+)", line)] if m]


def test_sigterm_drains_the_memory_backlog_within_drain_timeout(tmp_path):
    """The default drain_timeout (5 s) works a small backlog off before the stop:
    nothing answered 202 is dropped. A backlog longer than the budget is cut off
    and the count of what was dropped is logged."""
    project = make_project(tmp_path)
    set_handler_sleep(project, "50ms")
    proc = FaultProcess(project, free_port())
    try:
        proc.wait_ready()
        with httpx.Client(base_url=proc.url, timeout=5) as client:
            ids = [post_task(client, {"action": "sum"}).json()["id"] for _ in range(40)]
        proc.signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, proc.logs
    finally:
        proc.kill()
    assert set(ids) <= db_ids(project), proc.logs
    assert _drops(proc.lines) == [0], proc.logs
    assert any("draining the queue before stopping" in line for line in proc.lines)

    project = make_project(tmp_path / "short")
    set_handler_sleep(project, "500ms")
    proc = FaultProcess(project, free_port(), ["-o", "app:queue_driver:drain_timeout=1s"])
    try:
        proc.wait_ready()
        with httpx.Client(base_url=proc.url, timeout=5) as client:
            ids = [post_task(client, {"action": "sum"}).json()["id"] for _ in range(40)]
        signalled = time.monotonic()
        proc.signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, proc.logs
        assert time.monotonic() - signalled < 4      # 1 s of drain + a running handler
    finally:
        proc.kill()
    stored = db_ids(project)
    assert _drops(proc.lines) == [len(ids) - len(stored)], proc.logs
    assert 0 < len(stored) < len(ids)


def test_second_sigint_forces_exit_1(tmp_path):
    project = make_project(tmp_path)
    set_handler_sleep(project, "20s")   # a handler that would hold a graceful stop
    proc = FaultProcess(project, free_port(),
                        ["-o", "app:task_consumer:lifecycle.stop_timeout=30s"])
    try:
        proc.wait_ready()
        with httpx.Client(base_url=proc.url, timeout=5) as client:
            assert post_task(client, {"action": "sum"}).status_code == 202
        wait_until(lambda: logged_ids(proc.lines, "processing task"), 10,
                   message="a handler in flight")
        proc.signal(signal.SIGINT)
        wait_until(lambda: any("received shutdown signal" in line for line in proc.lines), 5,
                   message="first signal handled")
        second = time.monotonic()
        proc.signal(signal.SIGINT)
        code = proc.wait(timeout=3)
        assert time.monotonic() - second < 1.5
    finally:
        proc.kill()
    assert code == 1, proc.logs
    assert any("force exit" in line for line in proc.lines)


def test_sigint_when_idle_exits_0_quickly(tmp_path):
    proc = FaultProcess(make_project(tmp_path), free_port())
    try:
        proc.wait_ready()
        started = time.monotonic()
        proc.signal(signal.SIGINT)
        code = proc.wait(timeout=5)
        assert time.monotonic() - started < 3
    finally:
        proc.kill()
    assert code == 0, proc.logs
