"""The events module through the real engine and process host: pub/sub between
processes, filters and patterns, a subscription in channel.select, close, errors."""
from __future__ import annotations

import asyncio

import pytest

from tests.process.helpers import processes
from wippy.lua.modules.events.bus import bus_of, matches

MODS = ("time", "events")

SUBSCRIBER = r'''
local events = require("events")
local time = require("time")
-- subscribe(system, kind), report readiness to the parent, collect `n` events
return {main = function(parent, system, kind, n)
    if kind == "-" then kind = nil end   -- spawn arguments cannot carry a nil
    local sub, err = events.subscribe(system, kind)
    if err then return nil, err end
    process.send(parent, "ready", tostring(sub))
    local got, ch = {}, sub:channel()
    assert(sub:channel() == ch, "the same channel every time")
    while #got < n do
        local r = channel.select{ch:case_receive(), time.after("3s"):case_receive()}
        if r.channel ~= ch then break end
        got[#got + 1] = r.value
    end
    sub:close()
    return got
end}
'''

PUBLISHER = r'''
local events = require("events")
return {main = function(list)
    for _, e in ipairs(list) do
        local ok, err = events.send(e[1], e[2], e[3], e[4])
        if err then return nil, err end
        assert(ok == true)
    end
    return #list
end}
'''


def run(coro):
    return asyncio.run(coro)


def test_pattern_matching_follows_wippys_dispatcher():
    assert matches("", "x") and matches("*", "anything")
    assert matches("orders.*", "orders.eu") and matches("orders.*", "orders.eu.x")
    assert not matches("orders.*", "orders") and not matches("orders", "orders.eu")
    assert matches("users", "users") and matches("user.*", "user.created")


def test_pub_sub_between_processes_with_system_and_kind_filters():
    parent = r'''
    return {main = function()
        local me = process.pid()
        local a = process.spawn_monitored("app:sub", "app:processes", me, "users", "-", 3)
        local b = process.spawn_monitored("app:sub", "app:processes", me, "users", "user.login", 1)
        local c = process.spawn_monitored("app:sub", "app:processes", me, "shop.*", "-", 1)
        local ready = process.listen("ready")
        for i = 1, 3 do
            local s = ready:receive()
            assert(s == "events.Subscription{}", s)
        end
        process.spawn("app:pub", "app:processes", {
            {"users", "user.created", "/users/1", {name = "Alice"}},
            {"other", "user.login", "/users/1", {name = "nobody"}},
            {"users", "user.login", "/users/1"},
            {"shop.eu", "order.checkout", "/orders/7", {total = 9.5, items = {"a", "b"}}},
            {"users", "user.deleted", "/users/1", {name = "Alice"}},
        })
        local results, evs = {}, process.events()
        for i = 1, 3 do
            local e = evs:receive()
            results[e.from == a and "a" or e.from == b and "b" or "c"] = e.result
        end
        return results
    end}'''
    async def main():
        async with processes({"app:sub": SUBSCRIBER, "app:pub": PUBLISHER,
                              "app:parent": parent}, modules=MODS) as (engine, host, _):
            proc = host.spawn_entry("app:parent", [])
            result = await asyncio.wait_for(proc.done, 10)
            assert result.error is None, result.error
            res = result.values[0]
            assert res["a"]["value"] == [
                {"system": "users", "kind": "user.created", "path": "/users/1",
                 "data": {"name": "Alice"}},
                {"system": "users", "kind": "user.login", "path": "/users/1"},
                {"system": "users", "kind": "user.deleted", "path": "/users/1",
                 "data": {"name": "Alice"}}]
            assert res["b"]["value"] == [
                {"system": "users", "kind": "user.login", "path": "/users/1"}]
            assert res["c"]["value"] == [
                {"system": "shop.eu", "kind": "order.checkout", "path": "/orders/7",
                 "data": {"total": 9.5, "items": ["a", "b"]}}]
            bus = bus_of(host.objects)
            assert bus.subs == {} and bus.by_pid == {}   # closed, then ended
    run(main())


def test_subscription_in_select_with_inbox_and_close_drains_then_ends():
    # Events and inbox messages reach one select; after close, buffered events are still
    # received, then nil,false; events sent after close never show up in the inbox.
    proc_src = r'''
    local events = require("events")
    return {main = function()
        local sub = assert(events.subscribe("t"))
        local ch, inbox = sub:channel(), process.inbox()
        assert(events.send("t", "k", "/1", 1))
        assert(events.send("t", "k", "/2", 2))
        process.send(process.pid(), "hello", "world")
        local seen = {}
        for i = 1, 2 do
            local r = channel.select{inbox:case_receive(), ch:case_receive()}
            seen[#seen + 1] = r.channel == inbox and ("inbox:" .. r.value:payload():data())
                or ("event:" .. r.value.path)
        end
        assert(sub:close() == true and sub:close() == true)   -- idempotent
        assert(events.send("t", "k", "/after", 3))
        local rest = {}
        while true do
            local v, ok = ch:receive()
            if not ok then break end
            rest[#rest + 1] = v.path
        end
        process.send(process.pid(), "last", "msg")
        local m = inbox:receive()
        return seen, rest, m:topic()
    end}'''
    async def main():
        async with processes({"app:p": proc_src}, modules=MODS) as (engine, host, _):
            proc = host.spawn_entry("app:p", [])
            result = await asyncio.wait_for(proc.done, 5)
            assert result.error is None, result.error
            seen, rest, topic = result.values[:3]
            # The first select sees what is ready in case order.
            assert sorted(seen + rest) == ["/2", "event:/1", "inbox:world"] or \
                sorted(seen + rest) == sorted(["event:/1", "inbox:world", "/2"])
            assert topic == "last"   # "/after" was dropped, not put in the inbox
    run(main())


def test_errors_and_function_context():
    src = r'''
    local events = require("events")
    return {main = function()
        local out = {}
        local ok, err = events.send("", "k", "/p")
        out.send_system = {ok == nil, err:kind(), err:message(), err:retryable()}
        ok, err = events.send("s", "", "/p")
        out.send_kind = {err:kind(), err:message()}
        ok, err = events.send("s", "k", "")
        out.send_path = {err:kind(), err:message()}
        local sub
        sub, err = events.subscribe("")
        out.sub_empty = {sub == nil, err:kind(), err:message()}
        sub, err = events.subscribe("x")
        out.sub_fn = {sub == nil, err:kind()}
        out.raises = select(2, pcall(events.send, {}, "k", "/p"))
        out.send_fn = events.send("nobody.listens", "k", "/p", {a = 1})
        return out
    end}'''
    async def main():
        async with processes({}, modules=MODS) as (engine, host, call):
            result = await call(src)
            assert result.error is None, result.error
            out = result.values[0]
            assert out["send_system"] == [True, "Invalid", "system is required", False]
            assert out["send_kind"] == ["Invalid", "kind is required"]
            assert out["send_path"] == ["Invalid", "path is required"]
            assert out["sub_empty"] == [True, "Invalid", "system pattern is required"]
            assert out["sub_fn"] == [True, "Internal"]
            assert "string expected, got table" in out["raises"]
            assert out["send_fn"] is True
    run(main())


def test_full_mailbox_drops_the_event_for_that_subscriber_only():
    slow = r'''
    local events = require("events")
    return {main = function(parent)
        local sub = assert(events.subscribe("flood"))
        process.send(parent, "ready", true)
        process.events():receive()  -- wait for CANCEL ("go"; events are never refused)
        local n, ch = 0, sub:channel()
        while true do
            local r = channel.select{ch:case_receive(), default = true}
            if r.default then break end
            n = n + 1
        end
        return n
    end}'''
    async def main():
        async with processes({"app:slow": slow}, modules=MODS, mailbox_size=8) as (
                engine, host, call):
            parent_src = r'''
            local events = require("events")
            return {main = function()
                local me = process.pid()
                local pid = process.spawn_monitored("app:slow", "app:processes", me)
                process.listen("ready"):receive()
                for i = 1, 20 do assert(events.send("flood", "k", "/" .. i)) end
                process.cancel(pid, "go")
                local e = process.events():receive()
                return e.result.value
            end}'''
            host.node.defs["app:parent"] = engine.define(
                "app:parent", parent_src, "main", list(MODS), budget=3600.0)
            proc = host.spawn_entry("app:parent", [])
            result = await asyncio.wait_for(proc.done, 5)
            assert result.error is None, result.error
            got = result.values[0]
            assert got == 8               # the mailbox capacity, no more
            assert bus_of(host.objects).dropped == 20 - got
    run(main())
