"""Process model figures (issue 13): spawn rate, memory per idle process, message latency.

    python bench/process_bench.py [--processes 10000] [--messages 5000]

Runs the real engine and a process host in this Python process (no HTTP):

1. spawns N processes that wait on their inbox, and times until every one of them has
   run its first step and is waiting (not just until `spawn` returned);
2. memory per idle process: RSS growth over the N processes, and the Lua state's own
   memory growth (lupa's accounting), both divided by N;
3. latency: process A sends to process B, which is idle and waiting; B records
   `now - sent` for each of M messages (one in flight at a time). Median and p99.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time

from wippy.lua.engine import LuaEngine
from wippy.process.host import ProcessHost
from wippy.process.node import node_of

IDLE = 'return {main = function() process.inbox():receive() end}'
RECEIVER = r'''
local time = require("time")
return {main = function(n)
    local inbox, lat = process.inbox(), {}
    for i = 1, n do
        local msg = inbox:receive()
        local d = msg:payload():data()
        lat[i] = time.now():unix_nano() - d.sent
        process.send(d.reply, "ack", i)
    end
    return lat
end}'''
SENDER = r'''
local time = require("time")
return {main = function(target, n)
    local acks = process.listen("ack")
    local me = process.pid()
    for i = 1, n do
        process.send(target, "m", {sent = time.now():unix_nano(), reply = me})
        acks:receive()
    end
end}'''


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


async def main(n: int, m: int) -> None:
    objects: dict = {}
    engine = LuaEngine(objects)
    await engine.start()
    node = node_of(objects)
    for eid, src in (("b:idle", IDLE), ("b:recv", RECEIVER), ("b:send", SENDER)):
        node.defs[eid] = objects[eid] = engine.define(eid, src, "main", ["time"],
                                                      budget=365 * 86400.0)
    host = ProcessHost("b:host", engine, node, objects, stop_timeout=1.0)
    await host.start()
    # warm up (this also boots the loop's Lua state for processes), then measure
    warm = host.spawn_entry("b:idle", [])
    while warm.mailbox._waiter is None:
        await asyncio.sleep(0)
    lua = engine._inline_states["process"].runtime
    gc.collect()
    rss0, lua0 = rss(), lua.get_memory_used()
    t0 = time.perf_counter()
    procs = [host.spawn_entry("b:idle", []) for _ in range(n)]
    spawned = time.perf_counter() - t0
    while any(p.mailbox._waiter is None for p in procs):
        await asyncio.sleep(0)
    ready = time.perf_counter() - t0
    gc.collect()
    rss1, lua1 = rss(), lua.get_memory_used()
    print(f"spawn {n}: spawn() calls {spawned * 1000:.0f} ms, all waiting {ready * 1000:.0f} ms")
    print(f"idle process: {(rss1 - rss0) / n / 1024:.2f} KiB RSS, "
          f"{(lua1 - lua0) / n / 1024:.2f} KiB of it in Lua")

    recv = host.spawn_entry("b:recv", [m])
    send = host.spawn_entry("b:send", [recv.pid, m])
    result = await recv.done
    await send.done
    lat = sorted(x / 1000 for x in result.first)
    print(f"message latency over {m} (µs): median {statistics.median(lat):.1f}, "
          f"p90 {lat[int(len(lat) * .9)]:.1f}, p99 {lat[int(len(lat) * .99)]:.1f}")
    t0 = time.perf_counter()
    await host.stop()
    print(f"host stop with {n} idle processes (CANCEL, then terminate): "
          f"{(time.perf_counter() - t0) * 1000:.0f} ms")
    await engine.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--processes", type=int, default=10_000)
    ap.add_argument("--messages", type=int, default=5_000)
    args = ap.parse_args()
    asyncio.run(main(args.processes, args.messages))
