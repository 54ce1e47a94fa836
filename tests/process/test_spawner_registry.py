"""The spawn builder's every method and spawn form, the name registry's scopes, and
the documented Invalid errors for missing arguments (Wippy's lua/core/process.md)."""
from __future__ import annotations

import asyncio

from .helpers import processes
from .test_process import DEFS


def run(coro):
    return asyncio.run(coro)


BUILDER = r'''
return {main = function()
    local H = "app:processes"
    assert(process.set_options({trap_links = true}))
    local events = process.events()
    local base = process.with_options({network = "app:none"}):with_actor({id = "ann"})
        :with_scope({"read"}):with_context({k = "v"})
    local named = base:with_name("b-one")
    -- immutable: base has no name, so spawning from it twice never clashes
    local p1 = assert(base:spawn("app:echo", H))
    local p2 = assert(base:spawn("app:echo", H))
    local n1 = assert(named:spawn("app:echo", H))
    local _, taken = named:spawn("app:echo", H)
    local out = {distinct = p1 ~= p2, named = process.registry.lookup("b-one") == n1,
                 taken = taken and taken:kind()}
    local m = assert(base:spawn_monitored("app:ret", H, 4))
    local ev = events:receive()
    out.monitored = {ev.kind, ev.from == m, ev.result.value}
    local l = assert(base:spawn_linked("app:crash", H, "linked boom"))
    ev = events:receive()
    out.linked = {ev.kind, ev.from == l, tostring(ev.result.error):find("linked boom") ~= nil}
    local lm = assert(base:spawn_linked_monitored("app:crash", H))
    local kinds = {}
    for _ = 1, 2 do ev = events:receive(); if ev.from == lm then kinds[ev.kind] = true end end
    out.linked_monitored = kinds.EXIT == true and kinds.LINK_DOWN == true
    local _, noid = base:spawn(nil, H)
    out.noid = noid and noid:kind()
    for _, pid in ipairs({p1, p2, n1}) do process.terminate(pid) end
    return out
end}'''


def test_spawner_every_method_and_spawn_form():
    async def main():
        async with processes({**DEFS, "app:builder": BUILDER}) as (e, host, call):
            r = await asyncio.wait_for(host.spawn_entry("app:builder", []).done, 10)
            assert r.error is None, r.error
            assert r.values[0] == {
                "distinct": True, "named": True, "taken": "AlreadyExists",
                "monitored": ["EXIT", True, 8], "linked": ["LINK_DOWN", True, True],
                "linked_monitored": True, "noid": "Invalid"}
    run(main())


REGISTRY = r'''
return {main = function()
    local R = process.registry
    local out = {consts = {R.LOCAL, R.EVENTUAL, R.CONSISTENT, R.STRONG}}
    out.local_ok = R.register("here", nil, R.LOCAL)
    out.same_again = R.register("here", process.pid(), R.LOCAL)
    local _, e1 = R.register("there", nil, R.EVENTUAL)
    out.eventual = e1 and e1:kind()
    local _, e2 = R.unregister("here", R.CONSISTENT)
    out.unregister_cluster = e2 and e2:kind()
    out.still = R.lookup("here") == process.pid()
    out.unregister_local = R.unregister("here", R.LOCAL)
    local _, e3 = R.lookup("here")
    out.gone = e3 and e3:kind()
    return out
end}'''


def test_registry_scopes():
    async def main():
        async with processes({**DEFS, "app:reg": REGISTRY}) as (e, host, call):
            r = await asyncio.wait_for(host.spawn_entry("app:reg", []).done, 10)
            assert r.error is None, r.error
            assert r.values[0] == {
                "consts": [0, 1, 2, 3], "local_ok": True, "same_again": True,
                "eventual": "Invalid", "unregister_cluster": "Invalid", "still": True,
                "unregister_local": True, "gone": "NotFound"}
    run(main())


def test_missing_arguments_are_invalid():
    fn = r'''
    return {main = function()
        local out = {}
        local function kind(_, err) return err and err:kind() or "none" end
        out.spawn = kind(process.spawn("app:echo"))
        out.spawn_linked = kind(process.spawn_linked(nil, "app:processes"))
        out.exec = kind(process.exec("app:ret"))
        out.send_no_topic = kind(process.send("{app:processes|0x00001}"))
        out.send_empty_topic = kind(process.send("{app:processes|0x00001}", ""))
        out.set_options = kind(process.set_options("trap"))
        out.bad_host = kind(process.spawn("app:echo", "app:echo"))
        return out
    end}'''
    async def main():
        async with processes(DEFS) as (e, host, call):
            r = await call(fn)
            assert r.error is None, r.error
            assert r.values[0] == {"spawn": "Invalid", "spawn_linked": "Invalid",
                                   "exec": "Invalid", "send_no_topic": "Invalid",
                                   "send_empty_topic": "Invalid", "set_options": "Invalid",
                                   "bad_host": "Invalid"}
    run(main())


def test_a_channel_handed_to_another_process_is_refused_not_emptied():
    # en/lua/core/channel.md's worker-pool sketch passes channels to process.spawn;
    # here a channel lives in one call's Lua state and would arrive as an empty table.
    parent = r'''
    return {main = function()
        local work = channel.new(10)
        local H, out = "app:processes", {}
        local function kind(_, e) return e and e:kind() or "none" end
        out.spawn = kind(process.spawn("app:echo", H, work))
        out.nested = kind(process.spawn_monitored("app:echo", H, {jobs = work}))
        out.deep = kind(process.send(process.pid(), "t", {a = {b = {work}}}))
        local _, deep = process.spawn("app:echo", H, {cfg = {queues = {work}}})
        out.deep_message = deep and deep:message()
        out.send = kind(process.send(process.pid(), "t", 1, work))
        out.exec = kind(process.exec("app:ret", H, work))
        out.builder = kind(process.with_context({}):with_message("m", {c = work})
            :spawn("app:echo", H))
        out.plain = kind(process.send(process.pid(), "t", {a = {b = 1}}, "x"))
        local _, err = process.spawn("app:echo", H, work)
        out.message = err:message()
        return out
    end}'''
    async def main():
        async with processes({**DEFS, "app:parent": parent}) as (e, host, call):
            r = await asyncio.wait_for(host.spawn_entry("app:parent", []).done, 10)
            assert r.error is None, r.error
            out = r.values[0]
            assert out.pop("message") == ("process.spawn: a channel cannot be sent to another "
                                          "process (channels belong to one call; send messages "
                                          "instead)")
            # Deeper ones are found where the payload is converted.
            assert "a channel cannot leave its call" in out.pop("deep_message")
            assert out == {"spawn": "Invalid", "nested": "Invalid", "deep": "Invalid",
                           "send": "Invalid", "exec": "Invalid", "builder": "Invalid",
                           "plain": "none"}
            assert len(host.procs) == 0    # nothing was spawned
    run(main())
