"""Processes share nothing: messages and spawn arguments are copies, and a crash
reaches only the processes linked to or monitoring the one that failed."""
from __future__ import annotations

import asyncio

from .helpers import processes
from .test_process import DEFS


def run(coro):
    return asyncio.run(coro)


MUTATOR = r'''
return {main = function(arg)
    arg.n = -1                                      -- changes only this copy
    local msg = process.inbox():receive()
    local got = msg:payload():data()
    local seen = got.list[1]
    got.list[1] = "changed by the receiver"
    process.send(msg:from(), "seen", {seen = seen, arg_n = arg.n})
end}'''
SENDER = r'''
return {main = function()
    local arg, t = {n = 1}, {list = {"original"}}
    local pid = process.spawn("app:mut", "app:processes", arg)
    local replies = process.listen("seen")
    process.send(pid, "t", t)
    t.list[1] = "changed by the sender after send"
    local r = replies:receive()
    return {seen = r.seen, arg_n = r.arg_n, mine = t.list[1], my_arg = arg.n}
end}'''


def test_messages_and_spawn_arguments_are_copies():
    async def main():
        async with processes({**DEFS, "app:mut": MUTATOR, "app:send": SENDER}) as (e, host, c):
            r = await asyncio.wait_for(host.spawn_entry("app:send", []).done, 5)
            assert r.error is None, r.error
            assert r.values[0] == {"seen": "original", "arg_n": -1,
                                   "mine": "changed by the sender after send", "my_arg": 1}
    run(main())


WATCHER = r'''
return {main = function(target, mode)
    process.set_options({trap_links = true})
    if mode == "link" then process.link(target) else process.monitor(target) end
    process.send(target, "ready", mode)
    local ev = process.events():receive()
    return {kind = ev.kind, from = ev.from == target}
end}'''
BYSTANDER = r'''
return {main = function()
    local r = channel.select{process.events():case_receive(), process.inbox():case_receive()}
    return {woken = r.value and (r.value.kind or r.value:topic())}
end}'''
FAILER = r'''
return {main = function()
    local inbox = process.inbox()
    inbox:receive(); inbox:receive()                -- both watchers are in place
    error("failing on purpose")
end}'''


def test_a_crash_reaches_only_linked_and_monitoring_processes():
    defs = {**DEFS, "app:watch": WATCHER, "app:by": BYSTANDER, "app:fail": FAILER}
    async def main():
        async with processes(defs) as (e, host, c):
            bystander = host.spawn_entry("app:by", [])
            failer = host.spawn_entry("app:fail", [])
            linked = host.spawn_entry("app:watch", [failer.pid, "link"])
            monitor = host.spawn_entry("app:watch", [failer.pid, "monitor"])
            done = await asyncio.wait_for(failer.done, 5)
            assert "failing on purpose" in done.error.message
            assert (await asyncio.wait_for(linked.done, 5)).values[0] == \
                {"kind": "LINK_DOWN", "from": True}
            assert (await asyncio.wait_for(monitor.done, 5)).values[0] == \
                {"kind": "EXIT", "from": True}
            # the bystander heard nothing: it still waits, and wakes on its own message
            assert not bystander.done.done()
            bystander.mailbox.put(["m", "poke", None, 1])
            r = await asyncio.wait_for(bystander.done, 5)
            assert r.values[0] == {"woken": "poke"}
    run(main())
