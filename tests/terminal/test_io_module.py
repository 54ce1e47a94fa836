"""The io module against a real terminal session on OS pipes (no terminal.host kind):
what reaches stdout/stderr byte for byte, line reading until the end of input, errors."""
from __future__ import annotations

import asyncio
import contextlib
import os

import pytest

from wippy.lua.engine import LuaEngine
from wippy.process.node import node_of
from wippy.terminal.host import TerminalHost
from wippy.terminal.session import TerminalSession
from tests.lua_helpers import run_lua
from tests.polling import wait_until

pytestmark = pytest.mark.anyio


@contextlib.asynccontextmanager
async def terminal(modules=("io", "time")):
    """A started engine and terminal host whose stdin/stdout/stderr are pipes.
    Yields (run, stdin_w, read_out, read_err): run(source, args) runs `main` as the
    terminal's process and returns its CallResult."""
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    for fd in (out_r, err_r):
        os.set_blocking(fd, False)
    objects: dict = {}
    engine = LuaEngine(objects, workers=1)
    await engine.start()
    host = TerminalHost("app:terminal", engine, node_of(objects), objects,
                        TerminalSession(in_r, out_w, err_w), stop_timeout=2.0)
    await host.start()
    count = 0

    async def run(source: str, args=()):
        nonlocal count
        count += 1
        fdef = engine.define(f"app:prog{count}", source, "main", list(modules),
                             budget=3600.0)
        host.session.args = list(args)
        return await host.spawn(fdef, list(args)).done

    def drain(fd):
        chunks = []
        while True:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                break
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks)

    try:
        yield run, in_w, lambda: drain(out_r), lambda: drain(err_r), host
    finally:
        await host.stop()
        await engine.close()
        for fd in (in_r, in_w, out_r, out_w, err_r, err_w):
            with contextlib.suppress(OSError):
                os.close(fd)


async def test_print_write_eprint_bytes_and_return_values():
    async with terminal() as (run, _, out, err, _h):
        result = await run("""
            local io = require("io")
            local function main()
                local a = io.print("a", 1, true, nil, 2.5)
                local b = io.write("x", "y", 3)
                local c = io.eprint("warn:", "z")
                io.print()
                return {a, b, c}
            end
            return {main = main}""")
        assert result.error is None
        assert result.values == [[True, True, True]]
        assert out() == b"a\t1\ttrue\tnil\t2.5\nxy3\n"
        assert err() == b"warn:\tz\n"


async def test_utf8_text_reaches_stdout_unchanged():
    async with terminal() as (run, _, out, _e, _h):
        await run('local io = require("io")\n'
                  'return {main = function() io.print("Parser → Formatter — ok ✓") end}')
        assert out().decode() == "Parser → Formatter — ok ✓\n"


async def test_readline_until_end_of_input():
    async with terminal() as (run, stdin, out, _e, _h):
        os.write(stdin, b"first\nsecond\r\n\nlast without newline")
        os.close(stdin)
        result = await run("""
            local io = require("io")
            local function main()
                local lines = {}
                while true do
                    local line, err = io.readline()
                    if not line then return {lines, err:kind(), tostring(err)} end
                    table.insert(lines, "[" .. line .. "]")
                end
            end
            return {main = main}""")
        assert result.error is None
        lines, kind, message = result.values[0]
        assert lines == ["[first]", "[second]", "[]", "[last without newline]"]
        assert (kind, message) == ("Internal", "EOF")


async def test_read_returns_what_is_there_up_to_n():
    async with terminal() as (run, stdin, _o, _e, _h):
        os.write(stdin, b"abcdefgh")
        os.close(stdin)
        result = await run("""
            local io = require("io")
            local function main()
                local a = io.read(3)
                local b = io.read(0)       -- <= 0 means 1024
                local c, err = io.read()
                return {a = a, b = b, c = c, kind = err and err:kind()}
            end
            return {main = main}""")
        assert result.values == [{"a": "abc", "b": "defgh", "kind": "Internal"}]


async def test_waiting_for_input_does_not_block_the_loop():
    async with terminal() as (run, stdin, out, _e, _h):
        task = asyncio.ensure_future(run("""
            local io = require("io")
            return {main = function()
                io.print("waiting")
                return io.readline()
            end}"""))
        await wait_until(lambda: b"waiting" in out() or task.done(), what="the prompt")
        ticks = 0
        for _ in range(20):            # the loop keeps running while Lua waits for stdin
            await asyncio.sleep(0)
            ticks += 1
        assert ticks == 20 and not task.done()
        os.write(stdin, b"typed later\n")
        result = await asyncio.wait_for(task, 10)
        assert result.values[0] == "typed later"


async def test_interrupt_fails_the_waiting_read_with_canceled():
    async with terminal() as (run, _stdin, out, _e, host):
        task = asyncio.ensure_future(run("""
            local io = require("io")
            return {main = function()
                io.print("ready")
                local line, err = io.readline()
                local again, err2 = io.readline()
                return {tostring(line), err:kind(), tostring(err), err2:kind()}
            end}"""))
        await wait_until(lambda: b"ready" in out() or task.done(), what="the prompt")
        host.session.interrupt()
        result = await asyncio.wait_for(task, 10)
        assert result.values == [["nil", "Canceled", "interrupted", "Canceled"]]


async def test_args_and_flush():
    async with terminal() as (run, _i, _o, _e, _h):
        result = await run("""
            local io = require("io")
            return {main = function(a, b)
                return {io.args(), a, b, io.flush()}
            end}""", args=["one", "two words"])
        assert result.values == [[["one", "two words"], "one", "two words", True]]


async def test_raw_mode_needs_a_terminal():
    async with terminal() as (run, _i, _o, _e, _h):
        result = await run("""
            local io = require("io")
            return {main = function()
                local ok, err = io.raw(true)
                return {tostring(ok), err:kind(), tostring(err)}
            end}""")
        ok, kind, message = result.values[0]
        assert (ok, kind) == ("nil", "Unavailable")
        assert "not a terminal" in message


async def test_one_process_at_a_time():
    async with terminal() as (run, stdin, out, _e, host):
        task = asyncio.ensure_future(run('local io = require("io")\n'
                                         'return {main = function() io.print("in") '
                                         'return io.readline() end}'))
        await wait_until(lambda: b"in" in out() or task.done(), what="the first process")
        from wippy.errors import WippyError
        with pytest.raises(WippyError) as info:
            host.spawn(host.engine.define("app:other", "return {main=function() end}",
                                          "main", []), [])
        assert info.value.kind == "Unavailable" and "one process at a time" in info.value.message
        os.write(stdin, b"done\n")
        assert (await asyncio.wait_for(task, 10)).values[0] == "done"


async def test_outside_a_terminal_every_call_is_unavailable():
    result = await run_lua("""
        local io = require("io")
        local function main()
            local out = {}
            for _, f in ipairs({"print", "write", "eprint", "readline", "read", "flush", "raw"}) do
                local ok, err = io[f]("x" == f and 1 or nil)
                out[f] = tostring(ok) .. "|" .. err:kind() .. "|" .. tostring(err)
            end
            return {out, #io.args()}
        end
        return {main = main}""", modules=["io"])
    assert result.error is None
    calls, n_args = result.values[0]
    assert n_args == 0
    for name, text in calls.items():
        assert text == "nil|Unavailable|no terminal context", name
