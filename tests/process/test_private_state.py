"""Per-object state of messages, channels, timers and time values is out of handlers'
reach (it lives on each object's protected metatable, read by module code only), and
the objects behave as documented (docs/modules/process.md, channel.md, time.md)."""
from __future__ import annotations

import asyncio

from .helpers import processes

# What a handler can try on an object: every probe must find nothing.
PROBES = r'''
local function probe(name, v, out)
    out[name .. ".getmetatable"] = getmetatable(v)
    out[name .. ".next"] = next(v) == nil
    local n = 0
    for _ in pairs(v) do n = n + 1 end
    out[name .. ".pairs"] = n
    local found = {}
    for _, k in ipairs({1, 2, 3, "topic", "from", "data", "payload", "cap", "buf", "closed",
                        "s", "ns", "loc", "tm", "name", "offset", "zone"}) do
        if rawget(v, k) ~= nil then found[#found + 1] = k end
    end
    out[name .. ".rawget"] = table.concat(found, ",")
    out[name .. ".setmetatable"] = (pcall(setmetatable, v, {}))
end
'''

SELF_SENDER = PROBES + r'''
local time = require("time")
return {main = function()
    local out = {debug = type(debug), sandbox_getmetatable = type(getmetatable)}
    process.send(process.pid(), "hello", {n = 7})
    local inbox = process.inbox()
    local msg = inbox:receive()
    local p = msg:payload()
    probe("msg", msg, out)
    probe("payload", p, out)
    probe("channel", inbox, out)
    local t = time.now()
    probe("time", t, out)
    probe("duration", time.parse_duration("1s"), out)
    probe("location", time.utc, out)
    local tk = time.ticker("1h")
    probe("ticker", tk, out)
    out.topic, out.from_self, out.n = msg:topic(), msg:from() == process.pid(), p:data().n
    out.same_payload = rawequal(msg:payload(), p)
    out.msg_name = tostring(msg):match("^Message: ") ~= nil
    out.channel_name = tostring(inbox)
    out.stopped = tk:stop()
    return out
end}'''


def test_handlers_cannot_reach_the_private_state_of_module_objects():
    async def main():
        async with processes({"app:self": SELF_SENDER}) as (e, host, call):
            r = await asyncio.wait_for(host.spawn_entry("app:self", []).done, 10)
            assert r.error is None, r.error
            out = r.values[0]
            assert out.pop("debug") == "nil"
            assert out.pop("sandbox_getmetatable") == "function"
            assert out.pop("topic") == "hello" and out.pop("n") == 7
            assert out.pop("from_self") is True and out.pop("same_payload") is True
            assert out.pop("msg_name") is True and out.pop("channel_name") == "channel"
            assert out.pop("stopped") is True
            names = ("msg", "payload", "channel", "time", "duration", "location", "ticker")
            for name in names:
                assert out.pop(f"{name}.getmetatable") is False, name
                assert out.pop(f"{name}.next") is True, name
                assert out.pop(f"{name}.pairs") == 0, name
                assert out.pop(f"{name}.rawget") == "", name
                assert out.pop(f"{name}.setmetatable") is False, name
            assert out == {}
    asyncio.run(main())


# A table dressed up as a module object (the same fields on its own metatable) is not
# taken for one: module code knows its objects by a methods table handlers never see.
FORGED = r'''
local time = require("time")
return {main = function()
    local t = time.now()
    local fake_ch = setmetatable({}, {__index = {}, cap = 1, buf = {h = 1, t = 0},
        recvq = {h = 1, t = 0}, sendq = {h = 1, t = 0}, closed = false})
    local fake_t = setmetatable({}, {s = 0, ns = 0, loc = time.utc})
    local ch = channel.new(1)
    local r = {}
    r.send = select(2, pcall(ch.send, fake_ch, 1))
    r.select = select(2, pcall(channel.select, {{channel = fake_ch}}))
    r.unix = select(2, pcall(t.unix, fake_t))
    r.sub = select(2, pcall(t.sub, t, fake_t))
    r.lt = select(2, pcall(function() return t < fake_t end))
    r.eq = t == fake_t
    r.timer = select(2, pcall(time.ticker("1h").stop, {}))
    return r
end}'''


def test_forged_objects_are_refused():
    async def main():
        async with processes({}) as (e, host, call):
            r = await call(FORGED)
            assert r.error is None, r.error
            out = r.values[0]
            assert "expected a channel" in out["send"]
            assert "is not a case" in out["select"]
            assert "bad self (Time expected, got table)" in out["unix"]
            assert "Time expected, got table" in out["sub"]
            assert "attempt to compare Time with table" in out["lt"]
            assert out["eq"] is False
            assert "needs a Timer or Ticker" in out["timer"]
    asyncio.run(main())


# Each object has its own metatable: the documented operators must still work between
# two objects (Lua takes a metamethod from either operand's metatable).
OPERATORS = r'''
local time = require("time")
return {main = function()
    local a, b = time.unix(100), time.unix(100)
    local c = time.unix(200)
    local d1, d2 = time.parse_duration("1s"), time.parse_duration(1000000000)
    local d3 = time.parse_duration("2s")
    return {
        time_eq = a == b, time_ne = a ~= c, time_lt = a < c, time_le = a <= b,
        time_gt = c > a, dur_eq = d1 == d2, dur_lt = d1 < d3, dur_le = d3 <= d3,
        dur_str = tostring(d3), sub = c:sub(a):seconds(), loc = tostring(a:utc():location()),
        readonly = select(2, pcall(function() a.x = 1 end)),
    }
end}'''


def test_time_operators_work_across_per_object_metatables():
    async def main():
        async with processes({}) as (e, host, call):
            r = await call(OPERATORS)
            assert r.error is None, r.error
            out = r.values[0]
            readonly = out.pop("readonly")
            assert "read-only object" in readonly
            assert out == {"time_eq": True, "time_ne": True, "time_lt": True, "time_le": True,
                           "time_gt": True, "dur_eq": True, "dur_lt": True, "dur_le": True,
                           "dur_str": "2s", "sub": 100, "loc": "UTC"}
    asyncio.run(main())
