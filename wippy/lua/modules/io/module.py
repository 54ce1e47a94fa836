"""The Lua `io` module (docs/modules/io.md): stdin, stdout and stderr of a process
running on a terminal.host (wippy/terminal/).

    local io = require("io")
    io.print("a", 1)          -- "a\t1\n" to stdout -> true | nil, err
    io.write("no newline")    -- stdout              -> true | nil, err
    io.eprint("oops")         -- "oops\n" to stderr  -> true | nil, err
    local line, err = io.readline()   -- nil, err at the end of input
    local data, err = io.read(1024)
    io.flush(); io.args(); io.raw(true)

Outside a terminal process every function but `args` returns (nil, err) of kind
Unavailable ("no terminal context"); `args` returns {}. Writes are plain host
calls (one os.write each, from whichever thread runs the step); reads are async ops
awaited on the loop while a thread reads stdin (wippy/terminal/stdin.py), or, when
coroutines share the call, a read on the loop whose result comes through the
process's mailbox (shared_read.py), so the other coroutines run meanwhile.
Input lines cross into Lua as UTF-8 text; bytes that are not UTF-8 become U+FFFD.
"""
from __future__ import annotations

from importlib import resources
from typing import Any

from ....errors import INTERNAL, UNAVAILABLE, WippyError
from ....terminal.session import TERMINAL
from ..base import LuaModule
from .shared_read import start_shared_read


def _session(call: Any) -> Any:
    return call.extras.get(TERMINAL) if call.extras else None


def _need_session(call: Any) -> Any:
    session = _session(call)
    if session is None:
        raise WippyError("no terminal context", UNAVAILABLE, retryable=False)
    return session


def _failed(what: str, exc: OSError) -> WippyError:
    return WippyError(f"{what} failed: {exc.strerror or exc}", INTERNAL, retryable=False)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


class IoModule(LuaModule):
    name = "io"
    effects = ("write", "readline", "read", "raw", "start_read")
    lua = resources.files(__package__).joinpath("io.lua").read_text()

    def host_functions(self):
        def write(call, fd, text):
            session = _need_session(call)
            try:
                session.write(session.stdout_fd if fd == 1 else session.stderr_fd,
                              (text or "").encode("utf-8"))
            except OSError as exc:
                raise _failed("write", exc) from None
            return True

        def flush(call):
            _need_session(call)
            return True   # writes are unbuffered: nothing is ever held back

        def args(call):
            session = _session(call)
            return call.to_lua(list(session.args) if session is not None else [])

        def ready(call):
            _need_session(call)
            return True

        def raw(call, enable):
            session = _need_session(call)
            try:
                return session.raw(bool(enable))
            except OSError as exc:
                raise _failed("raw mode", exc) from None

        def start_read(call, op, n=None):
            session = _need_session(call)
            proc = call.extras.get("process")
            if proc is None:
                raise WippyError("no process to read for", UNAVAILABLE, retryable=False)
            return start_shared_read(call.worker.loop, proc, read_text(session.stdin, op, n))

        return {"write": write, "flush": flush, "args": args, "ready": ready, "raw": raw,
                "start_read": start_read}

    def async_ops(self):
        async def readline(call):
            return await read_text(_need_session(call).stdin, "readline")

        async def read(call, n):
            return await read_text(_need_session(call).stdin, "read", int(n))

        return {"io.readline": readline, "io.read": read}


async def read_text(reader: Any, op: str, n: int | None = None) -> str:
    """The next line ("readline") or up to n bytes ("read") of stdin as text; the end
    of input raises eof_error."""
    data = await (reader.readline() if op == "readline" else reader.read(int(n)))
    if data is None:
        raise eof_error(reader)
    return _text(data)


def eof_error(reader: Any) -> WippyError:
    if reader.error is not None:
        return _failed("read", reader.error)
    return WippyError("EOF", INTERNAL, retryable=False)
