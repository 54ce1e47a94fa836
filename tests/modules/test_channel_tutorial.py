"""Every runnable Lua block of Wippy's en/tutorials/channels.md runs here unchanged, as
the body of a function call (blocks that are fragments, `result.channel == ch1 -- true`,
do not compile and are counted, not run). Needs the docs clone the typed-Lua docs test
uses (WIPPY_DOCS_GIT); skipped without it."""
from __future__ import annotations

import asyncio
import re
import subprocess

import pytest

from tests.lua_helpers import run_lua
from tests.typed.test_corpus import DOCS_GIT
from wippy.lua.typed import TypedLuaSyntaxError, compile


def _blocks() -> list[str]:
    if not (DOCS_GIT / "HEAD").exists():
        return []
    text = subprocess.run(["git", f"--git-dir={DOCS_GIT}", "show",
                           "HEAD:en/tutorials/channels.md"], capture_output=True, text=True).stdout
    return re.findall(r"```lua\n(.*?)```", text, re.S)


def test_the_channels_tutorial_blocks_run():
    blocks = _blocks()
    if not blocks:
        pytest.skip(f"no clone of wippyai/docs at {DOCS_GIT}")
    ran, failed = 0, []
    async def main():
        nonlocal ran
        for i, block in enumerate(blocks):
            source = ("local time = require('time')\nreturn {main = function()\n"
                      + block + "\nend}")
            try:
                compile(source, f"block{i}")
            except TypedLuaSyntaxError:
                continue
            r = await run_lua(source, modules=["time"], budget=5)
            if r.error is not None:
                failed.append((i, r.error.message))
            ran += 1
    asyncio.run(main())
    assert not failed, failed
    assert ran >= 0.75 * len(blocks), (ran, len(blocks))   # 8 of 10 (2026-12)
