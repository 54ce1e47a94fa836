"""`wippy run -x` under a real pseudo-terminal: typed lines, Ctrl-C typed as ^C (the
terminal's line discipline sends SIGINT), raw mode. Skipped where no pty can be opened."""
from __future__ import annotations

import os
import pty
import select
import sys
import time

import pytest

from tests.terminal.helpers import make_app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("pty"))


class Pty:
    """wippy as the session leader of a new pseudo-terminal."""

    def __init__(self, project, *args):
        try:
            self.pid, self.fd = pty.fork()
        except OSError as exc:   # pragma: no cover - no ptys in this sandbox
            pytest.skip(f"no pseudo-terminal: {exc}")
        if self.pid == 0:   # the child: exec wippy, never return into pytest
            try:
                os.chdir(project)
                os.execv(sys.executable, [sys.executable, "-m", "wippy", *args])
            finally:
                os._exit(127)
        self.out = b""

    def read_until(self, text: bytes, timeout: float = 30.0) -> bytes:
        deadline = time.monotonic() + timeout
        while text not in self.out:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {text!r}; got {self.out!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    data = os.read(self.fd, 4096)
                except OSError:   # EIO: the child closed the terminal
                    data = b""
                if not data:
                    raise AssertionError(f"ended before {text!r}; got {self.out!r}")
                self.out += data
        return self.out

    def type(self, data: bytes) -> None:
        os.write(self.fd, data)

    def wait(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    self.out += os.read(self.fd, 4096)
                except OSError:
                    pass
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, 9)
        os.waitpid(self.pid, 0)
        os.close(self.fd)
        raise AssertionError(f"still running after {timeout}s; output {self.out!r}")


def test_typed_line_and_prompt(app):
    term = Pty(app, "run", "-x", "app:prompt")
    term.read_until(b"> ")
    term.type(b"hello there\r")
    assert term.wait() == 0
    assert b"got hello there" in term.out


def test_ctrl_c_typed_at_the_prompt(app):
    term = Pty(app, "run", "-x", "app:prompt")
    term.read_until(b"> ")
    term.type(b"\x03")   # ^C: the line discipline sends SIGINT to the foreground group
    assert term.wait() == 0
    assert b"stopped: interrupted (Canceled)" in term.out


def test_ctrl_c_twice_forces_exit(app):
    term = Pty(app, "run", "-x", "app:sleeper", "-v")
    term.read_until(b"sleeping")
    term.type(b"\x03")
    term.read_until(b"interrupted: cancelling the program")   # the first ^C, logged (-v)
    term.type(b"\x03")   # within the 1 s grace
    assert term.wait() == 1


def test_raw_mode_reads_a_key_without_enter(app):
    term = Pty(app, "run", "-x", "app:rawkey")
    term.read_until(b"press a key: ")
    term.type(b"q")
    assert term.wait() == 0
    assert b"key code 113" in term.out
    assert b"press a key: q" not in term.out   # raw mode: no echo
