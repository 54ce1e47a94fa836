"""Standard input for terminal programs, read without blocking the event loop.

A daemon thread does the blocking `os.read`; the loop only awaits a future. A thread
(not `loop.add_reader`) because stdin may be a regular file (`wippy run -x app:cli <
input.txt`), which epoll refuses. The thread reads only while a program waits for
input, so nothing is taken from stdin that no program asked for; a read still in
flight when its waiter gave up lands in the buffer for the next reader.
"""
from __future__ import annotations

import asyncio
import os
import threading

from ..errors import CANCELED, INVALID, WippyError

CHUNK = 64 * 1024
MAX_LINE = 16 << 20   # a "line" without a newline this long is refused, not buffered forever


class StdinReader:
    def __init__(self, fd: int = 0):
        self.fd = fd
        self.buffer = bytearray()
        self.eof = False
        self.error: OSError | None = None
        self.interrupted = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._want = threading.Event()
        self._in_flight = False
        self._waiter: asyncio.Future | None = None
        self._lock: asyncio.Lock | None = None

    # ------------------------------------------------------------ the thread
    def _pump(self) -> None:
        while True:
            self._want.wait()
            self._want.clear()
            try:
                data, err = os.read(self.fd, CHUNK), None
            except OSError as exc:
                data, err = b"", exc
            try:
                self._loop.call_soon_threadsafe(self._deliver, data, err)
            except RuntimeError:   # the loop is closed: the program is gone
                return
            if not data:
                return

    # ------------------------------------------------------------ the loop
    def _deliver(self, data: bytes, err: OSError | None) -> None:
        self._in_flight = False
        if data:
            self.buffer += data
        else:
            self.eof, self.error = True, err
        self._wake(None)

    def _wake(self, exc: BaseException | None) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            if exc is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(exc)

    async def _fill(self) -> None:
        """Wait until more bytes (or the end of input) arrived."""
        if self._thread is None:
            self._loop = asyncio.get_running_loop()
            self._thread = threading.Thread(target=self._pump, name="wippy-stdin", daemon=True)
            self._thread.start()
        self._waiter = self._loop.create_future()
        if not self._in_flight:
            self._in_flight = True
            self._want.set()
        await self._waiter

    def _check(self) -> None:
        if self.interrupted:
            raise WippyError("interrupted", CANCELED, retryable=False)

    def interrupt(self) -> None:
        """Ctrl-C: the waiting read and every later one fail with Canceled."""
        self.interrupted = True
        self._wake(WippyError("interrupted", CANCELED, retryable=False))

    def _guard(self) -> asyncio.Lock:
        # One reader at a time: two coroutines reading at once would split lines.
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def readline(self) -> bytes | None:
        """The next line without its "\\n" (and "\\r"); the rest at the end of input;
        None at the end of input with nothing left."""
        async with self._guard():
            start = 0
            while True:
                self._check()
                i = self.buffer.find(b"\n", start)
                if i >= 0:
                    line = bytes(self.buffer[:i])
                    del self.buffer[:i + 1]
                    return line[:-1] if line.endswith(b"\r") else line
                if self.eof:
                    if not self.buffer:
                        return None
                    line = bytes(self.buffer)
                    self.buffer.clear()
                    return line
                if len(self.buffer) > MAX_LINE:
                    raise WippyError(f"input line longer than {MAX_LINE >> 20} MiB", INVALID,
                                     retryable=False)
                start = len(self.buffer)
                await self._fill()

    async def read(self, n: int) -> bytes | None:
        """Up to n bytes: what is buffered, else what the next read brings; None at
        the end of input."""
        async with self._guard():
            while True:
                self._check()
                if self.buffer:
                    data = bytes(self.buffer[:n])
                    del self.buffer[:n]
                    return data
                if self.eof:
                    return None
                await self._fill()
