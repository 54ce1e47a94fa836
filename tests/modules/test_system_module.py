"""The system module through the real engine: shapes and honest values."""
from __future__ import annotations

import asyncio
import gc
import os
import socket

from tests.lua_helpers import run_lua
from tests.process.helpers import processes

FIELDS = ["alloc", "total_alloc", "sys", "heap_alloc", "heap_sys", "heap_idle", "heap_in_use",
          "heap_released", "heap_objects", "stack_in_use", "stack_sys", "mspan_in_use",
          "mspan_sys", "num_gc", "next_gc"]


def test_memory_runtime_process_reads():
    src = r'''
    local system = require("system")
    return {main = function()
        local out = {}
        out.stats = assert(system.memory.stats())
        out.allocated = system.memory.allocated()
        out.objects = system.memory.heap_objects()
        out.gc = {system.gc.collect()}
        out.cpus = system.runtime.cpu_count()
        out.procs = system.runtime.max_procs()
        out.gor = system.runtime.goroutines()
        out.pid = system.process.pid()
        out.host = system.process.hostname()
        out.cwd = system.process.cwd()
        out.role = system.node.role()
        out.size = system.cluster.size()
        out.members = system.cluster.members()
        local v, err = system.raft.term()
        out.raft = {v == nil, err:kind(), err:message()}
        v, err = system.lock.acquire("x")
        out.lock = {v == nil, err:kind()}
        local prev = system.memory.set_limit(100 * 1024 * 1024)
        out.limit = {prev, system.memory.get_limit(), system.memory.set_limit(-1)}
        v, err = system.memory.set_limit(-5)
        out.bad_limit = {v == nil, err:kind(), err:message()}
        v, err = system.runtime.max_procs(0)
        out.bad_procs = {v == nil, err:kind()}
        out.pct = {system.gc.set_percent(200), system.gc.get_percent(), system.gc.set_percent(100)}
        v, err = system.supervisor.states()
        out.sup = {v == nil, err:kind()}
        out.mods = system.modules()
        return out
    end}'''

    result = asyncio.run(run_lua(src, modules=["system"]))
    assert result.error is None, result.error
    out = result.values[0]
    st = out["stats"]
    assert sorted(st) == sorted(FIELDS)
    assert all(isinstance(st[k], int) and st[k] >= 0 for k in FIELDS)
    assert st["alloc"] > 1 << 20 and st["sys"] >= st["alloc"] // 2
    assert st["heap_objects"] > 1000 and st["num_gc"] >= 0
    assert st["heap_sys"] == st["heap_idle"] + st["heap_in_use"]
    assert out["allocated"] > 1 << 20 and out["objects"] > 1000
    assert out["gc"] == [True]
    assert out["cpus"] == os.cpu_count() and out["procs"] >= 1 and out["gor"] >= 1
    assert out["pid"] == os.getpid() and out["host"] == socket.gethostname()
    assert out["cwd"] == os.getcwd()
    assert out["role"] == "non-member" and out["size"] == 1
    assert out["members"] == [{"id": "local", "is_local": True}]
    assert out["raft"] == [True, "Internal", "raft not available"]
    assert out["lock"] == [True, "Internal"]
    assert out["limit"] == [2 ** 63 - 1, 100 * 1024 * 1024, 100 * 1024 * 1024]
    assert out["bad_limit"] == [True, "Invalid", "limit must be non-negative or -1"]
    assert out["bad_procs"] == [True, "Invalid"]
    assert out["pct"] == [100, 200, 200]
    assert gc.isenabled()
    assert out["sup"] == [True, "Internal"]   # no supervisor outside a runtime
    names = [m["name"] for m in out["mods"]]
    assert "system" in names and "events" in names


def test_hosts_list_and_processes():
    sleeper = r'''return {main = function() process.inbox():receive() end}'''

    async def main():
        async with processes({"app:sleeper": sleeper}, modules=("system",)) as (
                engine, host, call):
            pids = [host.spawn_entry("app:sleeper", []).pid for _ in range(3)]
            result = await call(r'''
            local system = require("system")
            return {main = function()
                local procs, err = system.hosts.processes("app:processes")
                local _, bad = system.hosts.processes("")
                return system.hosts.list(), procs, bad:kind()
            end}''')
            assert result.error is None, result.error
            hosts, procs, bad = result.values[:3]
            assert hosts[0]["id"] == "app:processes" and hosts[0]["processes"] == 3
            assert sorted(p["pid"] for p in procs) == sorted(pids)
            assert {p["source"] for p in procs} == {"app:sleeper"}
            assert bad == "Invalid"
    asyncio.run(main())
