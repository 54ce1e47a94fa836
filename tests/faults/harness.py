"""Shared pieces for the fault tests: the tutorial as a real `wippy run` subprocess,
with knobs (handler sleep, overrides, resource limits) and direct SQLite checks."""
from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

import httpx

from ..e2e.conftest import WippyProcess, free_port, make_project, wait_until

__all__ = ["FaultProcess", "free_port", "make_project", "wait_until", "set_handler_sleep",
           "db_path", "db_ids", "integrity", "post_task", "logged_ids", "wait_logged",
           "refused"]


class FaultProcess(WippyProcess):
    """WippyProcess plus a `preexec_fn` (resource limits) and extra environment."""

    def __init__(self, cwd: Path, port: int, extra_args: list[str] | None = None,
                 preexec_fn: Callable[[], None] | None = None):
        self.cwd, self.port = cwd, port
        self.url = f"http://127.0.0.1:{port}"
        args = [sys.executable, "-m", "wippy", "run",
                "-o", f"app:gateway:addr=127.0.0.1:{port}", *(extra_args or [])]
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1")
        self.proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env, text=True,
                                     preexec_fn=preexec_fn)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM and wait; kill if it does not stop in time."""
        import signal
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                return self.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode


def set_handler_sleep(project: Path, duration: str) -> None:
    """The tutorial worker simulates work with time.sleep("100ms"); change how long."""
    path = project / "src" / "process_task.lua"
    text = path.read_text()
    assert 'time.sleep("100ms")' in text
    path.write_text(text.replace('time.sleep("100ms")', f'time.sleep("{duration}")'))


def db_path(project: Path) -> Path:
    return project / "data" / "tasks.db"


def _connect(project: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path(project), timeout=10)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def db_ids(project: Path) -> set[str]:
    """Ids of committed rows, read by a separate connection (as an operator would)."""
    if not db_path(project).exists():
        return set()
    conn = _connect(project)
    try:
        try:
            return {row[0] for row in conn.execute("SELECT id FROM tasks")}
        except sqlite3.OperationalError as exc:   # table not created yet
            if "no such table" in str(exc):
                return set()
            raise
    finally:
        conn.close()


def integrity(project: Path) -> str:
    conn = _connect(project)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def post_task(client: httpx.Client, body: dict) -> httpx.Response:
    return client.post("/tasks", content=json.dumps(body),
                       headers={"Content-Type": "application/json"})


_ID = re.compile(r"\bid=([0-9a-f-]{36})\b")


def logged_ids(lines: list[str], message: str) -> list[str]:
    """Task ids from the worker's log lines with this message (`processing task`...)."""
    return [m.group(1) for line in list(lines) if message in line
            for m in [_ID.search(line)] if m]


def wait_logged(procs: list[WippyProcess], message: str, ids: list[str],
                timeout: float = 10.0) -> list[list[str]]:
    """Each process's ids logged with `message`, once every one of `ids` is among them.

    A row can be visible before its log line is in `proc.lines`: the tutorial's handler
    writes `task completed` only after its INSERT has committed, and the line then still
    crosses a pipe to the reader thread. A test that has seen the rows polls here for the
    lines instead of reading them once; a line that is never written fails, naming the ids.
    """
    wanted = set(ids)
    found: list[list[str]] = []

    def all_logged() -> bool:
        found[:] = [logged_ids(proc.lines, message) for proc in procs]
        return wanted <= {i for per_proc in found for i in per_proc}

    try:
        wait_until(all_logged, timeout, message=f"{message!r} logged for {len(wanted)} ids")
    except AssertionError as exc:
        missing = wanted - {i for per_proc in found for i in per_proc}
        raise AssertionError(f"{exc}; never logged: {sorted(missing)}") from None
    return found


def refused(port: int) -> bool:
    """True when nothing accepts connections on the port any more."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
