"""A raised error names the file and line the user wrote (src/list_tasks.lua:22), not
only the entry id, when the source came from a file."""
from __future__ import annotations

import signal

import httpx
import pytest

from tests.e2e.conftest import WippyProcess, free_port, make_project
from tests.polling import poll_until
from tests.lua_helpers import run_lua
from wippy.lua.engine import LuaEngine

pytestmark = pytest.mark.anyio

BROKEN = "local M = {}\nfunction M.main()\n  local t = nil\n  return t.x\nend\nreturn M\n"


async def test_a_raised_error_names_the_source_file_and_line():
    engine = LuaEngine({}, workers=1)
    await engine.start()
    try:
        fdef = engine.define("app:broken", BROKEN, "main", source_file="src/broken.lua")
        result = await engine.call(fdef)
        assert result.raised
        assert result.error.message.startswith("src/broken.lua:4: attempt to index a nil value")
        assert engine.where("app:other:4: x") == "app:other:4: x"   # no file known: unchanged
    finally:
        await engine.close()


async def test_without_a_file_the_entry_id_stays():
    result = await run_lua(BROKEN, entry_id="app:inline")
    assert result.error.message.startswith("app:inline:4: attempt to index a nil value")


def test_wippy_run_logs_the_file_and_line_of_a_failing_handler(tmp_path):
    project = make_project(tmp_path)
    handler = project / "src" / "list_tasks.lua"
    lines = handler.read_text().split("\n")
    lines[4] = lines[4] + " local boom = nil; boom.x = 1"   # line 5 of the handler
    handler.write_text("\n".join(lines))
    proc = WippyProcess(project, free_port())
    try:
        proc.wait_ready()
        r = httpx.get(f"{proc.url}/tasks", timeout=10)
        assert r.status_code == 500 and "list_tasks.lua" not in r.text   # nothing leaks
        poll_until(lambda: any("src/list_tasks.lua:5: attempt to index a nil value" in line
                               for line in proc.lines), 10, message="the error's file and line:\n" + proc.logs)
    finally:
        proc.signal(signal.SIGTERM)
        proc.wait(20)
