-- Every documented function and event of process, channel, coroutine.spawn and the
-- time module's timers, run inside `wippy run`; each check logs "check ok".
local time = require("time")
local logger = require("logger")
local proc_module = require("process")   -- always available: no modules: line needed
local chan_module = require("channel")

local function ok(name) logger:info("check ok", {check = name}) end

local function within(ch, d)
    local r = channel.select{ch:case_receive(), time.after(d or "3s"):case_receive()}
    assert(r.channel == ch, "timed out waiting")
    return r.value, r.ok
end

local H = "app:processes"

local function main()
    local me = process.pid()
    assert(type(me) == "string" and process.id() ~= nil)
    assert(proc_module == process and chan_module == channel)
    assert(process.registry.register("suite"))
    ok("pid")

    -- spawn + send + listen (raw) + Message from the echo
    local echo = assert(process.spawn("app:echo", H))
    local replies = process.listen("reply")
    assert(process.send(echo, "hello", {n = 1}))
    assert(within(replies).n == 1)
    assert(process.unlisten(replies) == true and process.unlisten(replies) == false)
    assert(process.listen("reply") ~= replies)     -- a new channel after unlisten
    process.unlisten(process.listen("reply"))
    local full = process.listen("reply", {message = true})
    process.send(echo, "again", "x")
    local msg = within(full)
    assert(msg:topic() == "reply" and msg:from() == echo and msg:payload():data() == "x")
    ok("send/listen/message")

    -- inbox gets what no listener takes
    process.unlisten(full)
    process.send(echo, "third", 3)
    local m3 = within(process.inbox())
    assert(m3:topic() == "reply" and m3:payload():data() == 3)
    ok("inbox")

    -- EXIT events from spawn_monitored, with result.value and result.error
    local events = process.events()
    local d = process.spawn_monitored("app:double", H, 21)
    local ev = within(events)
    assert(ev.kind == process.event.EXIT and ev.from == d and ev.result.value == 42)
    local c = process.spawn_monitored("app:crash", H, "bad day")
    ev = within(events)
    assert(ev.kind == "EXIT" and ev.from == c and tostring(ev.result.error):find("bad day"))
    ok("spawn_monitored/EXIT")

    -- monitor/unmonitor an existing process
    local w = process.spawn("app:echo", H)
    assert(process.monitor(w))
    assert(process.unmonitor(w))
    assert(process.monitor(w))
    process.send(w, "stop")
    ev = within(events)
    assert(ev.kind == "EXIT" and ev.result.value == "stopped")
    ok("monitor/unmonitor")

    -- links: trap_links turns a linked crash into LINK_DOWN
    assert(process.set_options({trap_links = true}))
    assert(process.get_options().trap_links == true)
    local l = process.spawn_linked("app:crash", H)
    ev = within(events)
    assert(ev.kind == process.event.LINK_DOWN and ev.from == l, tostring(ev.kind))
    local lm = process.spawn_linked_monitored("app:crash", H)
    local kinds = {}
    for _ = 1, 2 do kinds[within(events).kind] = true end
    assert(kinds.EXIT and kinds.LINK_DOWN)
    local e2 = process.spawn("app:echo", H)
    assert(process.link(e2)); assert(process.unlink(e2))
    assert(process.terminate(e2))
    ok("links/LINK_DOWN")

    -- cancel delivers CANCEL with its reason
    local waiter = process.spawn("app:waiter", H)
    local cancelled = process.listen("cancelled")
    time.sleep("20ms")
    assert(process.cancel(waiter, "enough"))
    local info = within(cancelled)
    assert(info.kind == process.event.CANCEL and info.reason == "enough" and info.from == me)
    ok("cancel/CANCEL")

    -- registry
    assert(process.registry.lookup("suite") == me)
    local _, err = process.registry.lookup("nobody")
    assert(err and err:kind() == errors.NOT_FOUND)
    local e3 = process.spawn("app:echo", H)
    assert(process.registry.register("echo3", e3))
    local _, dup = process.registry.register("echo3", me)
    assert(dup and dup:kind() == errors.ALREADY_EXISTS)
    assert(process.send("echo3", "by-name", "n"))
    assert(within(process.inbox()):payload():data() == "n")
    assert(process.registry.unregister("echo3", process.registry.LOCAL) == true)
    assert(process.registry.unregister("echo3") == false)
    local _, scoped = process.registry.register("far", nil, process.registry.EVENTUAL)
    assert(scoped and scoped:kind() == errors.INVALID)   -- no cluster: only LOCAL names
    process.terminate(e3)
    ok("registry")

    -- errors
    local _, reserved = process.send(me, "@inbox", 1)
    assert(reserved:kind() == errors.INVALID)
    local _, gone = process.send("{app:processes|0xfffff}", "t", 1)
    assert(gone:kind() == errors.NOT_FOUND)
    local _, missing = process.spawn("app:nothing", H)
    assert(missing:kind() == errors.NOT_FOUND)
    ok("errors")

    -- exec and the spawn builder
    assert(process.exec("app:double", H, 5) == 10)
    local sp = process.with_context({request_id = "r1"}):with_name("named-echo")
        :with_message("queued", "first")
    local b = assert(sp:spawn("app:echo", H))
    assert(process.registry.lookup("named-echo") == b)
    assert(within(process.inbox()):payload():data() == "first")
    process.send(b, "stop")
    -- every builder method and spawn form; the builder is immutable
    local base = process.with_options({network = "app:none"}):with_actor({id = "ann"})
        :with_scope({"read"}):with_context({k = "v"})
    assert(base:with_name("b2") ~= base and base.name == nil)
    local bm = assert(base:spawn_monitored("app:double", H, 7))
    ev = within(events)
    assert(ev.kind == "EXIT" and ev.from == bm and ev.result.value == 14)
    local bl = assert(base:spawn_linked("app:crash", H))
    ev = within(events)
    assert(ev.kind == "LINK_DOWN" and ev.from == bl)
    local blm = assert(base:spawn_linked_monitored("app:crash", H))
    kinds = {}
    for _ = 1, 2 do local e = within(events); assert(e.from == blm); kinds[e.kind] = true end
    assert(kinds.EXIT and kinds.LINK_DOWN)
    -- a channel cannot be handed to another process
    local _, chan_err = process.spawn("app:echo", H, channel.new(1))
    assert(chan_err and chan_err:kind() == errors.INVALID)
    ok("exec/builder")

    -- upgrade: the same PID runs app:double, whose result its monitor sees
    local up = process.spawn_monitored("app:upgrader", H, 50)
    ev = within(events)
    assert(ev.kind == "EXIT" and ev.from == up and ev.result.value == 100, tostring(ev.result.error))
    ok("upgrade")

    -- channels and coroutine.spawn
    local jobs, results = channel.new(10), channel.new(10)
    for i = 1, 3 do
        coroutine.spawn(function()
            while true do
                local j, open = jobs:receive()
                if not open then return end
                results:send(j * j)
            end
        end)
    end
    for i = 1, 5 do jobs:send(i) end
    jobs:close()
    local sum = 0
    for _ = 1, 5 do sum = sum + results:receive() end
    assert(sum == 55)
    local r = channel.select{channel.new():case_receive(), default = true}
    assert(r.default == true)
    local u = channel.new()
    coroutine.spawn(function() u:receive() end)
    assert(channel.select{u:case_send(1)}.channel == u)
    ok("channels")

    -- timers
    local t = assert(time.timer("1h"))
    assert(t:stop() == true)
    t:reset("10ms")
    within(t:channel(), "1s")
    local tk = assert(time.ticker("10ms"))
    within(tk:response(), "1s"); within(tk:response(), "1s")
    assert(tk:stop() == true)
    within(time.after("5ms"), "1s")
    ok("timers")

    logger:info("suite done")
    return 0
end

return {main = main}
