-- The `channel` global and `coroutine.spawn` (docs/modules/channel.md).
--
-- Channels live inside one call: every coroutine of a call (its own and those it
-- spawned) shares one scheduler. A coroutine that must wait parks itself on the
-- channels it waits on; the call's own coroutine, when it blocks, runs the spawned
-- ones that are ready, fires due timers, and only when nothing can move asks Python
-- for what comes from outside (process messages and events, or the next timer):
-- one host request, `channel.wait`. Timers and host-fed channels (inbox, events,
-- topics) are exposed to the time and process modules through `lib.channels`.
return function(host, lib)
    local co_running, co_status, co_yield = coroutine.running, coroutine.status, coroutine.yield
    local resume, new_co, now = lib.resume, lib.new_coroutine, lib.now
    local setmetatable, type, error, select = setmetatable, type, error, select
    local tremove, unpack = table.remove, table.unpack

    local getmt, rawget, call_state = debug.getmetatable, rawget, lib.call_state

    -- Per-object data is kept off weak-keyed side tables where it can be: weak keys are
    -- ephemerons, re-walked in every collection's atomic phase, and with 10 000
    -- processes that walk held the event loop for most of a cycle's longest step
    -- (bench/README.md). A channel's state lives on its own protected metatable
    -- (handlers get false from `getmetatable` and have no `debug`); a call's scheduler
    -- on the call's state in boot.lua, so it goes when the call does. Only coroutines
    -- other than the call's own (spawned ones, and a user coroutine that blocks on a
    -- channel and so becomes a scheduler's root) are looked up in SCHED.
    local WAIT = {}                                  -- private yield marker
    local SCHED = setmetatable({}, {__mode = "k"})   -- other coroutine -> its scheduler
    local M, CH = {}, {}

    -- FIFO queue: {first, last, items...}
    local function q_new() return {h = 1, t = 0} end
    local function q_len(q) return q.t - q.h + 1 end
    local function q_push(q, v) q.t = q.t + 1; q[q.t] = v end
    local function q_pop(q)
        if q.t < q.h then return nil end
        local v = q[q.h]; q[q.h] = nil; q.h = q.h + 1
        return v
    end

    local function sched_of(co)
        local st = call_state(co)
        local s
        if st then s = st.sched else s = SCHED[co] end
        if s == nil then
            s = {root = co, ready = q_new(), timers = {}, host = {}}
            if st then st.sched = s else SCHED[co] = s end
        end
        return s
    end

    local function ch_tostring() return "channel" end
    -- The state is in the metatable's array part (constant indexes): its hash part then
    -- holds only the metamethods, less memory for every process's inbox.
    local BUF <const>, RECVQ <const>, SENDQ <const>, CAP <const>, CLOSED <const> = 1, 2, 3, 4, 5
    local function new_channel(size)
        return setmetatable({}, {__index = CH, __name = "channel", __tostring = ch_tostring,
            __metatable = false, q_new(), q_new(), q_new(), size or 0, false})
    end
    -- A channel's state (its metatable), or nil: a metatable is a channel's only if its
    -- __index is CH, which handlers never reach.
    local function state(v)
        local mt = getmt(v)
        if mt ~= nil and rawget(mt, "__index") == CH then return mt end
    end
    local function data(ch)
        local d = getmt(ch)
        if d == nil or rawget(d, "__index") ~= CH then error("expected a channel", 3) end
        return d
    end

    -- A waiter is one blocked coroutine (a receive, a send or a whole select).
    local function wake(w, result)
        w.fired, w.result = true, result
        if w.co ~= w.s.root then q_push(w.s.ready, w.co) end
    end
    local function next_live(q)   -- drop waiters that another case already woke
        while true do
            local w = q[q.h]
            if w == nil or q.t < q.h then return nil end
            if not w.w.fired then return w end
            q_pop(q)
        end
    end
    -- Queue a waiter. A select leaves an entry in the queue of every channel it waits
    -- on and only the one that fired is taken: a loop selecting over a busy inbox and
    -- a quiet channel would grow the quiet one's queue by one dead entry per message
    -- (holding each woken waiter's result) without end. So once a queue has doubled
    -- since it was last swept, the entries already woken are dropped: O(1) amortised.
    local function q_wait(q, entry)
        if q_len(q) >= (q.sweep_at or 8) then
            local j = q.h - 1
            for i = q.h, q.t do
                local e = q[i]
                q[i] = nil
                if not e.w.fired then j = j + 1; q[j] = e end
            end
            q.t = j
            q.sweep_at = math.max(8, 2 * q_len(q))
        end
        q_push(q, entry)
    end

    -- Try one case now: returns a result table, or nil when it would block.
    local function try_recv(ch, d)
        if q_len(d[BUF]) > 0 then
            local v = q_pop(d[BUF])
            local sw = next_live(d[SENDQ])
            if sw then   -- room made: the first blocked sender's value moves into the buffer
                q_pop(d[SENDQ]); q_push(d[BUF], sw.value)
                wake(sw.w, {channel = ch, value = sw.value, ok = true})
            end
            return {channel = ch, value = v, ok = true}
        end
        local sw = next_live(d[SENDQ])
        if sw then
            q_pop(d[SENDQ])
            wake(sw.w, {channel = ch, value = sw.value, ok = true})
            return {channel = ch, value = sw.value, ok = true}
        end
        if d[CLOSED] then return {channel = ch, value = nil, ok = false} end
        return nil
    end
    local function try_send(ch, d, value)
        if d[CLOSED] then error("send on closed channel", 0) end
        local rw = next_live(d[RECVQ])
        if rw then
            q_pop(d[RECVQ])
            wake(rw.w, {channel = ch, value = value, ok = true})
            return {channel = ch, value = value, ok = true}
        end
        if q_len(d[BUF]) < d[CAP] then
            q_push(d[BUF], value)
            return {channel = ch, value = value, ok = true}
        end
        return nil
    end

    -- Timers: {at (monotonic seconds), period?, ch, make()}; fired only here.
    local function fire_timers(s)
        local fired, t = false, now()
        local timers = s.timers
        for i = #timers, 1, -1 do
            local tm = timers[i]
            if tm.at <= t then
                local d = getmt(tm.ch)
                local rw = next_live(d[RECVQ])
                local v = tm.make()
                if rw then
                    q_pop(d[RECVQ]); wake(rw.w, {channel = tm.ch, value = v, ok = true})
                elseif q_len(d[BUF]) < d[CAP] then
                    q_push(d[BUF], v)
                end   -- a ticker whose receiver is behind drops the tick, as Go's does
                fired = true
                if tm.period then   -- next tick on the grid: no drift from slow bodies
                    tm.at = tm.at + tm.period * (math.floor((t - tm.at) / tm.period) + 1)
                else
                    tm.active = false
                    tremove(timers, i)
                end
            end
        end
        return fired
    end
    local function next_timer(s)
        local at
        for _, tm in ipairs(s.timers) do
            if at == nil or tm.at < at then at = tm.at end
        end
        return at
    end

    -- Something from outside the call (process.wait): route it to its channel.
    local function feed(s, ch, v)
        local d = getmt(ch)
        local rw = next_live(d[RECVQ])
        if rw then
            q_pop(d[RECVQ]); wake(rw.w, {channel = ch, value = v, ok = true})
        else
            q_push(d[BUF], v)   -- bounded by Python: it hands over at most `room` items
        end
    end
    -- Messages taken from the mailbox and still unread in the inbox and topic
    -- channels: they count against the mailbox's capacity (Python's side).
    local function unread(s)
        local h = s.host
        local used = h.inbox and q_len(getmt(h.inbox)[BUF]) or 0
        if h.topics then
            for _, t in pairs(h.topics) do used = used + q_len(getmt(t.ch)[BUF]) end
        end
        return used
    end

    local function wait_outside(s)
        local at = next_timer(s)
        local timeout = at and math.max(0, at - now()) or nil
        local items, err = lib.await("channel.wait", timeout, unread(s))
        if err then error(err, 0) end
        local route = lib.channels.route   -- set by the process module
        if items and route then
            for i = 1, #items do route(s, items[i]) end
        end
    end

    -- Run the call's coroutines until waiter `w` (of the root) fired.
    local function run_until(s, w)
        while not w.fired do
            local co = q_pop(s.ready)
            if co then
                local ok, r = resume(co)
                if not ok then error(r, 0) end   -- a spawned coroutine failed: the call fails
                if co_status(co) == "dead" then SCHED[co] = nil; s.spawned = s.spawned - 1 end
            elseif not fire_timers(s) then
                wait_outside(s)
            end
        end
    end

    local function block(s, w, co)
        if co == s.root then run_until(s, w)
        else
            repeat co_yield(WAIT) until w.fired
        end
        return w.result
    end

    -- select over cases {kind = "recv"|"send", channel, value}
    local function do_select(cases, default)
        for i = 1, #cases do
            local c = cases[i]
            local d = data(c.channel)   -- the case was checked; its table is the handler's
            local r
            if c.send then r = try_send(c.channel, d, c.value) else r = try_recv(c.channel, d) end
            if r then return r end
        end
        if default then return {default = true, ok = true} end
        if #cases == 0 then error("select with no cases and no default blocks forever", 3) end
        local co = co_running()
        local s = sched_of(co)
        local w = {co = co, s = s}
        for i = 1, #cases do
            local c = cases[i]
            local d = data(c.channel)   -- the case was checked; its table is the handler's
            if c.send then q_wait(d[SENDQ], {w = w, value = c.value})
            else q_wait(d[RECVQ], {w = w}) end
        end
        return block(s, w, co)
    end

    function M.new(size)
        if size ~= nil and (math.type(size) ~= "integer" or size < 0) then
            error("channel.new: size must be a non-negative integer", 2)
        end
        return new_channel(size)
    end
    function CH.send(ch, value)
        local d = data(ch)
        if try_send(ch, d, value) then return true end
        local co = co_running()
        local s = sched_of(co)
        local w = {co = co, s = s}
        q_wait(d[SENDQ], {w = w, value = value})
        local r = block(s, w, co)
        if r.closed then error("send on closed channel", 2) end
        return true
    end
    function CH.receive(ch)
        local d = data(ch)
        local r = try_recv(ch, d)
        if r == nil then
            local co = co_running()
            local s = sched_of(co)
            local w = {co = co, s = s}
            q_wait(d[RECVQ], {w = w})
            r = block(s, w, co)
        end
        return r.value, r.ok
    end
    function CH.close(ch)
        local d = data(ch)
        if d[CLOSED] then return end
        d[CLOSED] = true
        while true do   -- receivers get nil, false; senders an error
            local rw = next_live(d[RECVQ])
            if rw == nil then break end
            q_pop(d[RECVQ]); wake(rw.w, {channel = ch, value = nil, ok = false})
        end
        while true do
            local sw = next_live(d[SENDQ])
            if sw == nil then break end
            q_pop(d[SENDQ]); wake(sw.w, {channel = ch, closed = true, ok = false})
        end
    end
    function CH.case_receive(ch) data(ch); return {channel = ch} end
    function CH.case_send(ch, value) data(ch); return {channel = ch, send = true, value = value} end

    function M.select(cases)
        if type(cases) ~= "table" then error("channel.select: expected a table of cases", 2) end
        local list = {}
        for i = 1, #cases do
            local c = cases[i]
            if type(c) ~= "table" or state(c.channel) == nil then
                error("channel.select: case " .. i .. " is not a case (use ch:case_receive() or ch:case_send(v))", 2)
            end
            list[i] = c
        end
        local r = do_select(list, cases.default == true)
        if r.closed then error("send on closed channel", 2) end
        return r
    end

    -- coroutine.spawn(f, ...): runs f in a coroutine of this call's scheduler; it
    -- starts when the spawning coroutine next blocks on a channel.
    lib.spawn = function(f, ...)
        if type(f) ~= "function" then error("coroutine.spawn: expected a function", 2) end
        local s = sched_of(co_running())
        local args, n = {...}, select("#", ...)
        local co = new_co(function() return f(unpack(args, 1, n)) end)
        SCHED[co] = s
        s.spawned = (s.spawned or 0) + 1   -- live spawned coroutines (time.sleep asks)
        q_push(s.ready, co)
        return true
    end

    -- For the time and process modules (trusted code only: `lib` never reaches handlers).
    lib.channels = {
        new = new_channel, feed = feed, is_channel = function(v) return state(v) ~= nil end,
        sched = function() return sched_of(co_running()) end,
        -- timer(seconds, period_seconds|nil, make) -> timer record and its channel
        timer = function(seconds, period, make)
            local s = sched_of(co_running())
            local tm = {at = now() + seconds, period = period, ch = new_channel(1),
                        make = make, active = true}
            s.timers[#s.timers + 1] = tm
            return tm, s
        end,
        stop = function(s, tm)
            local was = tm.active
            tm.active = false
            for i = #s.timers, 1, -1 do if s.timers[i] == tm then tremove(s.timers, i) end end
            return was
        end,
        reset = function(s, tm, seconds)
            local was = lib.channels.stop(s, tm)
            tm.at, tm.active = now() + seconds, true
            if tm.period then tm.period = seconds end
            s.timers[#s.timers + 1] = tm
            return was
        end,
    }
    return M
end
