"""time.sleep inside coroutine.spawn lets the call's other coroutines run (Wippy's sleep
yields): three workers sleeping 300 ms each finish together, not one after another."""
from __future__ import annotations

import pytest

from tests.process.helpers import processes

pytestmark = pytest.mark.anyio

WORKERS = """
local time = require("time")
local function main()
    local done = channel.new(3)
    local t0 = time.now()
    for w = 1, 3 do
        coroutine.spawn(function() time.sleep("300ms"); done:send(w) end)
    end
    local got = 0
    for _ = 1, 3 do got = got + done:receive() end
    return {sum = got, ms = time.now():sub(t0):milliseconds()}
end
return {main = main}
"""

MAIN_SLEEPS = """
local time = require("time")
local function main()
    local ticks = 0
    coroutine.spawn(function()
        for _ = 1, 5 do time.sleep("20ms"); ticks = ticks + 1 end
    end)
    time.sleep("400ms")          -- the spawned coroutine ticks meanwhile
    return {ticks = ticks}
end
return {main = main}
"""


async def test_spawned_coroutines_sleep_concurrently():
    async with processes({"app:p": WORKERS}) as (_, host, _run):
        result = await host.spawn_entry("app:p", []).done
        assert result.error is None
        out = result.first
        assert out["sum"] == 6
        assert 280 <= out["ms"] < 750      # serial sleeps would take 900 ms


async def test_a_sleeping_main_lets_spawned_coroutines_run():
    async with processes({"app:p": MAIN_SLEEPS}) as (_, host, _run):
        result = await host.spawn_entry("app:p", []).done
        assert result.error is None and result.first == {"ticks": 5}


async def test_sleep_without_coroutines_still_sleeps():
    async with processes({}) as (_, _host, run):
        result = await run('local time = require("time")\n'
                           'return {main = function() local t0 = time.now(); time.sleep("50ms");'
                           ' return time.now():sub(t0):milliseconds() end}')
        assert result.error is None and 45 <= result.first < 1000
