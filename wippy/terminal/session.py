"""The terminal a terminal.host hands its process: stdin, stdout, stderr and args.

Writes go straight to the file descriptor, unbuffered, as Go Wippy's do: what a
program prints is on the terminal (or in the pipe) before its next line runs, and
stdout and stderr interleave in the order the program wrote them. Runtime logs go
to stderr through the logging handler and never to stdout.
"""
from __future__ import annotations

import os
import select
from typing import Any

from ..errors import UNAVAILABLE, WippyError
from .stdin import StdinReader

TERMINAL = "terminal"   # the call extras key of the session (wippy/lua/modules/io)


class TerminalSession:
    def __init__(self, stdin_fd: int = 0, stdout_fd: int = 1, stderr_fd: int = 2):
        self.stdin = StdinReader(stdin_fd)
        self.stdout_fd = stdout_fd
        self.stderr_fd = stderr_fd
        self.args: list[str] = []
        self._raw_depth = 0
        self._saved_mode: Any = None

    def write(self, fd: int, data: bytes) -> None:
        """All of `data` to fd (OSError on failure, e.g. a closed pipe)."""
        view = memoryview(data)
        while view:
            try:
                n = os.write(fd, view)
            except BlockingIOError:   # someone set O_NONBLOCK on a shared terminal
                select.select([], [fd], [])
                continue
            view = view[n:]

    # ------------------------------------------------------------ raw mode
    def raw(self, enable: bool) -> bool:
        """Reference-counted raw mode on stdin (no line buffering, no echo)."""
        import termios
        import tty
        fd = self.stdin.fd
        if not os.isatty(fd):
            raise WippyError("raw terminal control unavailable: stdin is not a terminal",
                             UNAVAILABLE, retryable=False)
        if enable:
            if self._raw_depth == 0:
                self._saved_mode = termios.tcgetattr(fd)
                tty.setraw(fd)
            self._raw_depth += 1
        elif self._raw_depth > 0:
            self._raw_depth -= 1
            if self._raw_depth == 0:
                self._restore()
        return True

    def _restore(self) -> None:
        if self._saved_mode is not None:
            import termios
            termios.tcsetattr(self.stdin.fd, termios.TCSADRAIN, self._saved_mode)
            self._saved_mode = None

    def reset(self) -> None:
        """The process ended: the terminal goes back to normal mode."""
        self._raw_depth = 0
        try:
            self._restore()
        except OSError:
            pass   # the terminal is gone; nothing to restore

    def interrupt(self) -> None:
        self.stdin.interrupt()
