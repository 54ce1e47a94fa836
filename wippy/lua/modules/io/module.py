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
awaited on the loop while a thread reads stdin (wippy/terminal/stdin.py).
Input lines cross into Lua as UTF-8 text; bytes that are not UTF-8 become U+FFFD.
"""
from __future__ import annotations

from importlib import resources
from typing import Any

from ....errors import INTERNAL, UNAVAILABLE, WippyError
from ....terminal.session import TERMINAL
from ..base import LuaModule


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
    effects = ("write", "readline", "read", "raw")
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

        return {"write": write, "flush": flush, "args": args, "ready": ready, "raw": raw}

    def async_ops(self):
        async def readline(call):
            reader = _need_session(call).stdin
            line = await reader.readline()
            if line is None:
                raise _eof(reader)
            return _text(line)

        async def read(call, n):
            reader = _need_session(call).stdin
            data = await reader.read(int(n))
            if data is None:
                raise _eof(reader)
            return _text(data)

        return {"io.readline": readline, "io.read": read}


def _eof(reader: Any) -> WippyError:
    if reader.error is not None:
        return _failed("read", reader.error)
    return WippyError("EOF", INTERNAL, retryable=False)
