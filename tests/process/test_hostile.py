"""Hostile processes end with a clear error while the runtime stays live."""
from __future__ import annotations

import asyncio

import wippy.process.process as process_mod

from .helpers import processes
from .test_process import DEFS


def run(coro):
    return asyncio.run(coro)


async def echo_round_trip(host) -> None:
    """Proof of life: a fresh process answers a message from another."""
    asker = host.spawn_entry("app:asker", [])
    result = await asyncio.wait_for(asker.done, 5)
    assert result.error is None and result.values[0] == {"echo": "alive", "topic": "q"}


ASKER = r'''
return {main = function()
    local pid = process.spawn("app:echo", "app:processes")
    local replies = process.listen("reply")
    process.send(pid, "q", "alive")
    local v = replies:receive()
    process.terminate(pid)
    return v
end}'''


def test_mailbox_flood_gets_unavailable_and_the_receiver_lives():
    flooder = r'''
    return {main = function(target)
        for i = 1, 100000 do
            local ok, err = process.send(target, "spam", i)
            if err then return {sent = i - 1, kind = err:kind(), msg = err:message(),
                                retry = err:retryable()} end
        end
        return {sent = 100000}
    end}'''
    async def main():
        async with processes({**DEFS, "app:flood": flooder, "app:asker": ASKER},
                             mailbox_size=100) as (e, host, call):
            sleeper = host.spawn_entry("app:sleeper", [])
            await asyncio.sleep(0)
            r = await asyncio.wait_for(host.spawn_entry("app:flood", [sleeper.pid]).done, 10)
            out = r.values[0]
            assert out["kind"] == "Unavailable" and out["retry"] is True
            assert "mailbox" in out["msg"] and "is full" in out["msg"]
            assert 100 <= out["sent"] <= 200       # Python's 100, at most 100 more in Lua
            assert not sleeper.done.done()
            await echo_round_trip(host)
    run(main())


def test_spawning_without_end_is_refused_at_the_host_limit():
    spawner = r'''
    return {main = function()
        local n = 0
        while true do
            local pid, err = process.spawn("app:sleeper", "app:processes")
            if err then return {n = n, kind = err:kind(), msg = err:message()} end
            n = n + 1
        end
    end}'''
    async def main():
        async with processes({**DEFS, "app:spawner": spawner, "app:asker": ASKER},
                             max_processes=60) as (e, host, call):
            r = await asyncio.wait_for(host.spawn_entry("app:spawner", []).done, 10)
            out = r.values[0]
            assert out["kind"] == "Unavailable" and "limit" in out["msg"]
            assert out["n"] == 59               # the spawner itself is one of the 60
            for proc in list(host.procs.values()):
                if proc.fdef.entry_id == "app:sleeper":
                    proc.kill("test cleanup")
            await echo_round_trip(host)
    run(main())


def test_a_process_that_never_yields_is_stopped_with_a_clear_error(monkeypatch):
    monkeypatch.setattr(process_mod, "STEP_LIMIT", 0.5)
    spinner = 'return {main = function() local n = 0 while true do n = n + 1 end end}'
    async def main():
        async with processes({**DEFS, "app:spin": spinner, "app:asker": ASKER}) as (e, host, call):
            spin = host.spawn_entry("app:spin", [])
            await echo_round_trip(host)          # the loop is free while it spins
            r = await asyncio.wait_for(spin.done, 10)
            assert r.error is not None
            assert "without yielding" in r.error.message
            await echo_round_trip(host)
    run(main())


def test_huge_self_messages_fail_with_invalid_and_the_process_goes_on():
    big = r'''
    return {main = function()
        local chunk = string.rep("x", 60000)
        local t = {}
        for i = 1, 40 do t[i] = chunk end          -- ~2.4 MB: over one message's limit
        local ok, err = process.send(process.pid(), "big", t)
        local sent, total, full = 0, 0, nil
        for i = 1, 400 do                          -- 400 x ~60 KB: over the mailbox's bytes
            local ok2, err2 = process.send(process.pid(), "mid", chunk)
            if err2 then full = err2 break end
            sent = sent + 1
        end
        local first = process.inbox():receive()
        return {kind = err:kind(), msg = err:message(), sent = sent,
                full = full and full:kind(), got = #first:payload():data()}
    end}'''
    async def main():
        # About message limits, not preemption: on the loop, ~280 sends of 60 KB fill
        # steps up to the 20 ms wall-clock slice, and on a loaded machine the OS can
        # deschedule the loop past it (the process is then stopped: it already sent).
        # On a worker thread a step may run 5 s, so the outcome is the same every run.
        async with processes({**DEFS, "app:big": big, "app:asker": ASKER},
                             off_loop=("app:big",)) as (e, host, call):
            r = await asyncio.wait_for(host.spawn_entry("app:big", []).done, 10)
            assert r.error is None, r.error
            out = r.values[0]
            assert out["kind"] == "Invalid" and "too large" in out["msg"]
            assert out["full"] == "Unavailable" and 200 < out["sent"] < 300
            assert out["got"] == 60000
            await echo_round_trip(host)
    run(main())


def test_processes_moved_to_worker_threads_keep_every_function(monkeypatch):
    # An entry that ran too long on the loop runs on worker threads; there the module
    # calls cross to the loop as async ops (OFF_LOOP) and must behave the same. The
    # loop below takes a second or two of CPU: the step limit on the thread is raised
    # so a loaded machine (where it took over 5 s) does not end it first.
    monkeypatch.setattr(process_mod, "STEP_LIMIT", 120.0)
    mover = r'''
    return {main = function(target)
        local n = 0
        for i = 1, 3e7 do n = n + i end            -- past the 20 ms inline slice, once
        local me = process.pid()
        local replies = process.listen("reply")
        assert(process.send(target, "w", me))
        local v = replies:receive()
        assert(process.registry.register("mover"))
        return {v = v, me = me, lookup = process.registry.lookup("mover")}
    end}'''
    async def main():
        async with processes({**DEFS, "app:mover": mover, "app:asker": ASKER}) as (e, host, call):
            echo = host.spawn_entry("app:echo", [])
            proc = host.spawn_entry("app:mover", [echo.pid])
            r = await asyncio.wait_for(proc.done, 20)
            assert r.error is None, r.error
            out = r.values[0]
            assert out["v"]["echo"] == proc.pid and out["lookup"] == proc.pid
            assert "app:mover" in e._offloaded
    run(main())


def test_a_process_that_eats_memory_fails_at_the_state_cap_and_others_go_on(monkeypatch):
    # About the memory cap: on a loaded machine filling 64 MiB can take longer than
    # the 5 s step limit on a worker thread, which would end it first.
    monkeypatch.setattr(process_mod, "STEP_LIMIT", 120.0)
    hog = r'''return {main = function()
        local t = {}
        for i = 1, 1e9 do t[i] = string.rep("x", 64) .. i end
    end}'''
    async def main():
        async with processes({**DEFS, "app:hog": hog, "app:asker": ASKER}) as (e, host, call):
            for _ in range(2):                   # the state is usable again after each
                r = await asyncio.wait_for(host.spawn_entry("app:hog", []).done, 60)
                assert r.error is not None and "not enough memory" in r.error.message
                assert "64 MiB" in r.error.message
                await echo_round_trip(host)
    run(main())
