"""A second `wippy run` whose gateway cannot bind exits 1 at once, naming the address."""
import socket
import subprocess
import sys
import time

import httpx

from .conftest import WippyProcess, free_port


def run_once(project, port: int) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "wippy", "run", "-o", f"app:gateway:addr=127.0.0.1:{port}"],
        cwd=project, capture_output=True, text=True, timeout=30)
    return result, time.monotonic() - started


def test_second_run_on_the_same_port_exits_1_and_the_first_keeps_serving(project):
    port = free_port()
    first = WippyProcess(project, port)
    try:
        first.wait_ready()
        result, took = run_once(project, port)
        assert result.returncode == 1
        assert took < 10
        lines = result.stderr.splitlines()
        assert lines[-1].startswith(
            f"Error: app:gateway: cannot listen on 127.0.0.1:{port}: Address already in use")
        assert not any("runtime ready" in line for line in lines)
        assert httpx.get(f"{first.url}/tasks", timeout=10).status_code == 200
    finally:
        first.kill()


def test_a_port_held_by_another_program_stops_the_boot(project):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        result, took = run_once(project, port)
    assert result.returncode == 1 and took < 10
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in \
        result.stderr.splitlines()[-1]
