"""The process module through the real engine: spawn, messages, events, links, names."""
from __future__ import annotations

import asyncio

from .helpers import processes

ECHO = r'''
return {main = function()
    local inbox = process.inbox()
    while true do
        local msg = inbox:receive()
        if msg:topic() == "stop" then return "stopped" end
        process.send(msg:from(), "reply", {echo = msg:payload():data(), topic = msg:topic()})
    end
end}
'''
CRASH = r'''return {main = function(reason) error(reason or "boom") end}'''
RETURN = r'''return {main = function(x) return x * 2 end}'''
SLEEPER = r'''return {main = function() local ch = channel.new(); ch:receive() end}'''

DEFS = {"app:echo": ECHO, "app:crash": CRASH, "app:ret": RETURN, "app:sleeper": SLEEPER}


def run(coro):
    return asyncio.run(coro)


def test_spawn_send_and_reply_through_a_parent_process():
    parent = r'''
    return {main = function()
        local pid, err = process.spawn("app:echo", "app:processes")
        assert(pid, tostring(err))
        local replies = process.listen("reply", {message = true})
        assert(process.send(pid, "ping", {n = 1}))
        local msg = replies:receive()
        process.send(pid, "stop")
        return msg:payload():data(), msg:from() == pid, msg:topic(), process.pid()
    end}'''
    async def main():
        async with processes({**DEFS, "app:parent": parent}) as (engine, host, call):
            proc = host.spawn_entry("app:parent", [])
            result = await asyncio.wait_for(proc.done, 5)
            assert result.error is None, result.error
            data, same, topic, pid = result.values[:4]
            assert data == {"echo": {"n": 1}, "topic": "ping"}
            assert same is True and topic == "reply" and pid == proc.pid
    run(main())


def test_monitor_gets_exit_with_value_and_error():
    parent = r'''
    local time = require("time")
    return {main = function()
        local events = process.events()
        local a = process.spawn_monitored("app:ret", "app:processes", 21)
        local b = process.spawn_monitored("app:crash", "app:processes", "kaput")
        local got = {}
        for i = 1, 2 do
            local r = channel.select{events:case_receive(), time.after("3s"):case_receive()}
            assert(r.channel == events, "timeout")
            local ev = r.value
            got[ev.from == a and "a" or "b"] = {kind = ev.kind, value = ev.result.value,
                                                  err = ev.result.error}
        end
        return {got = got, exit = process.event.EXIT}
    end}'''
    async def main():
        async with processes({**DEFS, "app:parent": parent}) as (engine, host, call):
            result = await asyncio.wait_for(host.spawn_entry("app:parent", []).done, 5)
            assert result.error is None, result.error
            got, exit_kind = result.values[0]["got"], result.values[0]["exit"]
            assert got["a"] == {"kind": "EXIT", "value": 42}
            assert got["b"]["kind"] == "EXIT" and "kaput" in got["b"]["err"]
            assert exit_kind == "EXIT"
    run(main())


def test_link_kills_peer_unless_trap_links_then_link_down():
    trapper = r'''
    return {main = function()
        process.set_options({trap_links = true})
        assert(process.get_options().trap_links)
        local events = process.events()
        process.spawn_linked("app:crash", "app:processes")
        local ev = events:receive()
        return {ev.kind, ev.result.error}
    end}'''
    victim = r'''
    return {main = function()
        process.spawn_linked("app:crash", "app:processes")
        channel.new():receive()
    end}'''
    async def main():
        async with processes({**DEFS, "app:trap": trapper, "app:victim": victim}) as (e, host, c):
            r = await asyncio.wait_for(host.spawn_entry("app:trap", []).done, 5)
            assert r.error is None and r.values[0][0] == "LINK_DOWN" and "boom" in r.values[0][1]
            r = await asyncio.wait_for(host.spawn_entry("app:victim", []).done, 5)
            assert r.error is not None and "linked process" in r.error.message
    run(main())


def test_registry_cancel_terminate_and_errors():
    named = r'''
    return {main = function()
        assert(process.registry.register("svc"))
        local events = process.events()
        local ev = events:receive()
        return {ev.kind, ev.reason, ev.from}
    end}'''
    fn = r'''
    return {main = function()
        local pid = process.registry.lookup("svc")
        local _, err = process.registry.lookup("nobody")
        local ok = process.cancel("svc", "please stop")
        local _, terr = process.send(pid, "@inbox", 1)
        local _, nerr = process.send("{app:processes|0xfffff}", "x", 1)
        local _, merr = process.spawn_monitored("app:echo", "app:processes")
        return {pid, err:kind(), ok, terr:kind(), nerr:kind(), merr:kind()}
    end}'''
    async def main():
        async with processes({**DEFS, "app:named": named}) as (engine, host, call):
            proc = host.spawn_entry("app:named", [])
            for _ in range(200):
                if "svc" in host.node.names:
                    break
                await asyncio.sleep(0.005)
            r = await call(fn)
            assert r.error is None, r.error
            assert r.values[0] == [proc.pid, "NotFound", True, "Invalid", "NotFound", "Invalid"]
            done = await asyncio.wait_for(proc.done, 5)
            assert done.values[0][:2] == ["CANCEL", "please stop"]
            assert "svc" not in host.node.names   # released when the owner exited
            sleeper = host.spawn_entry("app:sleeper", [])
            r = await call('return {main = function(p) return process.terminate(p) end}',
                           args=(sleeper.pid,))
            assert r.values[0] is True
            done = await asyncio.wait_for(sleeper.done, 5)
            assert done.error is not None and "terminated" in done.error.message
    run(main())


def test_upgrade_keeps_pid_and_mailbox_and_runs_the_new_definition():
    v1 = r'''
    return {main = function(state)
        state = state or {n = 0, pids = {}}
        state.n = state.n + 1
        state.pids[#state.pids + 1] = process.pid()
        if state.n < 3 then process.upgrade(nil, state) end    -- the same definition again
        process.upgrade("app:v2", state)                        -- then a new one
    end}'''
    v2 = r'''
    return {main = function(state)
        local msg = process.inbox():receive()                   -- sent before the upgrades
        return {n = state.n, pids = state.pids, pid = process.pid(), got = msg:payload():data()}
    end}'''
    async def main():
        async with processes({**DEFS, "app:v1": v1, "app:v2": v2}) as (engine, host, call):
            proc = host.spawn_entry("app:v1", [])
            proc.mailbox.put(["m", "t", None, "kept"])
            r = await asyncio.wait_for(proc.done, 5)
            assert r.error is None, r.error
            out = r.values[0]
            assert out["n"] == 3 and out["pids"] == [proc.pid] * 3 and out["pid"] == proc.pid
            assert out["got"] == "kept"
            r = await call('return {main = function() local ok, err = pcall(process.upgrade, nil) '
                           'return {tostring(err)} end}')
            assert "no process context" in r.values[0][0]
    run(main())


def test_spawner_context_reaches_the_child_through_ctx():
    child = r'''
    local ctx = require("ctx")
    return {main = function() return {rid = ctx.get("request_id"), all = ctx.all()} end}'''
    parent = r'''
    return {main = function()
        local sp = process.with_context({request_id = "r-1"}):with_context({user = "ann"})
        local pid = assert(sp:spawn_monitored("app:child", "app:processes"))
        local ev = process.events():receive()
        return ev.result.value
    end}'''
    async def main():
        async with processes({**DEFS, "app:child": child, "app:parent": parent},
                             modules=("time", "ctx")) as (engine, host, call):
            r = await asyncio.wait_for(host.spawn_entry("app:parent", []).done, 5)
            assert r.error is None, r.error
            assert r.values[0] == {"rid": "r-1", "all": {"request_id": "r-1", "user": "ann"}}
    run(main())


def test_a_function_call_gets_a_pid_and_an_inbox_for_replies():
    # As the official shop example's HTTP handlers do: ask a process, wait for the reply.
    server = r'''
    return {main = function()
        local inbox = process.inbox()
        while true do
            local msg = inbox:receive()
            local d = msg:payload():data()
            process.send(d.reply_to, "answer", {n = d.n * 2, to = msg:from()})
        end
    end}'''
    fn = r'''
    local time = require("time")
    return {main = function(server)
        local me = process.pid()
        assert(process.pid() == me and process.id() == me)
        process.send(server, "ask", {reply_to = me, n = 21})
        local r = channel.select{process.inbox():case_receive(), time.after("2s"):case_receive()}
        local d = r.value:payload():data()
        return me, d.n, d.to, r.value:from() == server
    end}'''
    async def main():
        async with processes({**DEFS, "app:server": server}) as (engine, host, call):
            srv = host.spawn_entry("app:server", [])
            result = await call(fn, args=[srv.pid])
            assert result.error is None, result.error
            me, n, to, from_server = result.values[:4]
            assert me.startswith("{test:fn|0x") and n == 42 and to == me and from_server
            assert me not in host.node.procs          # gone with its call
            # a call that never asks has no PID registered
            before = set(host.node.procs)
            plain = await call('return {main = function() return 1 end}')
            assert plain.values[0] == 1 and set(host.node.procs) == before
    run(main())


def test_a_long_loop_of_sends_and_spawns_yields_instead_of_being_stopped():
    # Wippy's mass-spawn example spawns 10 000 processes in one loop. Here a loop of
    # sends and spawns far longer than one 20 ms step ends its step with a yield near
    # the slice's end and goes on; it is not stopped for running too long.
    sink = r'''return {main = function() process.events():receive() end}'''
    looper = r'''
    return {main = function(n)
        local sink = process.spawn("app:sink", "app:processes")
        local spawned = 0
        for i = 1, n do
            local ok, err = process.send(sink, "x", i)
            if err and err:kind() ~= "Unavailable" then error(err) end
            if i % 10 == 0 then
                assert(process.spawn("app:ret", "app:processes", i))
                spawned = spawned + 1
            end
        end
        process.cancel(sink, "done")
        return spawned
    end}'''
    async def main():
        async with processes({**DEFS, "app:sink": sink, "app:looper": looper}) as (
                engine, host, call):
            proc = host.spawn_entry("app:looper", [40000])
            result = await asyncio.wait_for(proc.done, 30)
            assert result.error is None, result.error
            assert result.values[0] == 4000
    run(main())


def test_mailbox_hands_over_messages_in_batches():
    from wippy.process.mailbox import TAKE_BATCH, Mailbox

    async def main():
        box = Mailbox("p", capacity=4096)
        for i in range(1000):
            box.put(["m", "t", None, i])
        first = await box.take(0, 1.0, asyncio.get_running_loop().time() + 5)
        assert len(first) == TAKE_BATCH and first[0][3] == 0   # in order, one batch
        rest = await box.take(len(first), 1.0, asyncio.get_running_loop().time() + 5)
        assert len(rest) == TAKE_BATCH and rest[0][3] == TAKE_BATCH
    run(main())


def test_converting_a_big_batch_of_messages_is_not_charged_to_the_step():
    # 256 messages of 400 small tables each cross into Lua when the receiver wakes: tens
    # of milliseconds of the runtime's own work. The step itself (counting them) is
    # short and must not be stopped for the conversion's time.
    receiver = r'''
    return {main = function(n)
        local time = require("time")
        time.sleep("300ms")   -- the messages pile up in the mailbox meanwhile
        local inbox, total = process.inbox(), 0
        for _ = 1, n do total = total + #inbox:receive():payload():data() end
        return total
    end}'''
    sender = r'''
    return {main = function(pid, n)
        local big = {}
        for i = 1, 400 do big[i] = {n = i} end
        for _ = 1, n do
            local ok, err = process.send(pid, "big", big)
            if err then error(err) end
        end
        return true
    end}'''
    async def main():
        async with processes({**DEFS, "app:receiver": receiver}) as (engine, host, call):
            proc = host.spawn_entry("app:receiver", [256])
            sent = await call(sender, args=[proc.pid, 256], budget=20)
            assert sent.error is None, sent.error
            result = await asyncio.wait_for(proc.done, 30)
            assert result.error is None, result.error
            assert result.values[0] == 256 * 400
    run(main())


def test_a_process_looping_on_a_worker_thread_is_terminated_at_once():
    # Its steps end all the time (each spawn from a thread is a host request); Python
    # 3.11's asyncio.wait_for dropped a cancellation that arrived as a step ended, so
    # the process went on spawning after process.terminate / a host stop.
    spawner = r'''return {main = function(n)
        for i = 1, n do process.spawn("app:sleeper", "app:processes") end
        return "done"
    end}'''
    async def main():
        async with processes({**DEFS, "app:spawner": spawner}, off_loop=("app:spawner",),
                             stop_timeout=2.0) as (engine, host, call):
            proc = host.spawn_entry("app:spawner", [1_000_000])
            deadline = asyncio.get_running_loop().time() + 20
            while len(host.procs) < 2000:   # well into its loop
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.01)
            proc.kill("test kill")
            result = await asyncio.wait_for(asyncio.shield(proc.done), 2)
            assert result.error is not None and "test kill" in result.error.message
            count = len(host.procs)
            await asyncio.sleep(0.2)
            assert len(host.procs) == count   # nothing spawned after it ended
    run(main())


def test_a_process_step_may_run_past_the_slice_up_to_its_budget():
    # A process stopped on the loop fails (its step cannot be moved), and the shared
    # state's allocator and collector work can land in any step; so process steps get
    # 100 ms of their own time on the loop (LOOP_STEP_BUDGET), not the 20 ms slice.
    # ~40 ms of work after a send (an effect: stopped, it would have failed).
    worker = r'''
    return {main = function(parent)
        process.send(parent, "started", true)
        local time, n = require("time"), 0
        local t0 = os.clock()
        while os.clock() - t0 < 0.04 do n = n + 1 end
        return n > 0
    end}'''
    async def main():
        async with processes({**DEFS, "app:worker40": worker}) as (engine, host, call):
            proc = host.spawn_entry("app:worker40", ["{app:processes|0x99999}"])
            result = await asyncio.wait_for(proc.done, 10)
            assert result.error is None, result.error
            assert result.values == [True]
            assert "app:worker40" not in engine._offloaded   # and it stayed on the loop
    run(main())
