"""End-to-end harness: `wippy run` as a real subprocess, HTTP over a real socket."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.polling import poll_until as wait_until  # noqa: F401 - the e2e and fault tests import it from here

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "task-queue"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WippyProcess:
    """A running `wippy run` with its stderr collected in the background."""

    def __init__(self, cwd: Path, port: int, extra_args: list[str] | None = None):
        self.cwd = cwd
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        args = [sys.executable, "-m", "wippy", "run",
                "-o", f"app:gateway:addr=127.0.0.1:{port}", *(extra_args or [])]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with self.proc.stderr:
            for line in self.proc.stderr:
                self.lines.append(line.rstrip("\n"))

    @property
    def logs(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self, timeout: float = 20.0) -> None:
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"wippy run exited with {self.proc.returncode}:\n{self.logs}")
            return any("runtime ready" in line for line in self.lines)
        wait_until(ready, timeout, message="runtime ready")

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 20.0) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(2)
        return code

    def stop(self) -> None:
        """SIGTERM, and the run must end with exit 0 (killed if it does not end at all)."""
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                assert self.wait(20) == 0, self.logs
            except subprocess.TimeoutExpired:
                self.kill()
                raise

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._reader.join(5)


def make_project(tmp_path: Path, src: Path | None = None) -> Path:
    """A copy of the task-queue example, initialised with `wippy init`."""
    project = tmp_path / "task-queue"
    shutil.copytree(src or EXAMPLE / "src", project / "src")
    (project / "data").mkdir()
    subprocess.run([sys.executable, "-m", "wippy", "init"], cwd=project, check=True,
                   capture_output=True, timeout=60)
    return project


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path)


@pytest.fixture
def wippy(project):
    """The tutorial running on a free port; stopped (and killed if stuck) afterwards."""
    proc = WippyProcess(project, free_port())
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


@pytest.fixture
def client(wippy):
    with httpx.Client(base_url=wippy.url, timeout=10) as c:
        yield c
