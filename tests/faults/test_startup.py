"""Start-up is all-or-nothing for required services (reliability requirement 20, case 30):
a bad data directory or a corrupt database makes `wippy run` exit 1 within 5 s with one
line naming the entry; a retryable failure (port in use) is retried instead."""
from __future__ import annotations

import os
import socket
import time

import httpx
import pytest

from .harness import FaultProcess, free_port, make_project, wait_until

pytestmark = pytest.mark.e2e


def refuse_to_start(project, *args: str) -> tuple[str, list[str]]:
    """Run and expect exit 1 within 5 s; returns the `Error:` line and all lines."""
    proc = FaultProcess(project, free_port(), list(args))
    started = time.monotonic()
    try:
        code = proc.wait(timeout=5)
    finally:
        proc.kill()
    assert time.monotonic() - started < 5
    assert code == 1, proc.logs
    assert not any("runtime ready" in line for line in proc.lines), proc.logs
    errors = [line for line in proc.lines if line.startswith("Error: ")]
    assert len(errors) == 1, proc.logs
    # What had started (HTTP listener, consumer) was stopped again.
    assert any("service stopped service=app:gateway" in line for line in proc.lines)
    return errors[0], proc.lines


def test_corrupt_database_file_refuses_to_start(tmp_path):
    project = make_project(tmp_path)
    (project / "data" / "tasks.db").write_bytes(os.urandom(16384))
    error, _ = refuse_to_start(project)
    assert error.startswith("Error: app:db: ./data/tasks.db is not a usable SQLite database")
    assert "file is not a database" in error


def test_uncreatable_data_directory_refuses_to_start(tmp_path):
    project = make_project(tmp_path)
    (project / "data" / "blocker").write_text("a file where a directory should be")
    error, _ = refuse_to_start(project, "-o", "app:db:file=./data/blocker/sub/tasks.db")
    assert error.startswith("Error: app:db: cannot create directory")
    assert "./data/blocker/sub/tasks.db" in error


def test_read_only_data_directory_refuses_to_start(tmp_path):
    project = make_project(tmp_path)
    data = project / "data"
    data.chmod(0o555)
    file = "./data/tasks.db"
    if os.access(data, os.W_OK):
        # root ignores permission bits; a read-only mount still stops it.
        if os.access("/proc/sys", os.W_OK) or not os.path.isdir("/proc/sys"):
            pytest.skip("running as root without a read-only directory to point at")
        file = "/proc/sys/tasks.db"
    try:
        error, _ = refuse_to_start(project, "-o", f"app:db:file={file}")
    finally:
        data.chmod(0o755)
    assert error.startswith("Error: app:db: directory ")
    assert "is not writable" in error


def test_port_in_use_is_retried_for_an_optional_gateway(tmp_path):
    """A required gateway stops the boot instead (tests/e2e/test_busy_port.py)."""
    project = make_project(tmp_path)
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    proc = FaultProcess(project, port, ["-o", "app:gateway:lifecycle.startup=optional",
                                        "-o", "app:gateway:lifecycle.restart.initial_delay=100ms",
                                        "-o", "app:gateway:lifecycle.restart.max_delay=200ms"])
    try:
        proc.wait_ready()   # the rest of the runtime serves; the gateway retries
        assert any("service failed service=app:gateway" in line and "retry_in" in line
                   for line in proc.lines), proc.logs
        blocker.close()
        with httpx.Client(base_url=proc.url, timeout=2) as client:
            def answers():
                try:
                    return client.get("/tasks").status_code == 200
                except httpx.TransportError:
                    return False
            wait_until(answers, 10, message="gateway listening after the port was freed")
        assert proc.stop() == 0
    finally:
        blocker.close()
        proc.kill()
