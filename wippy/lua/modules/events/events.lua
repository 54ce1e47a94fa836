-- The `events` module (docs/modules/events.md). The bus is Python's (bus.py); a
-- subscription's events arrive as mailbox messages on its own runtime topic, which
-- the process module's router hands to the subscription's channel (lib.channels).
return function(host, lib)
    local type, error, setmetatable, tostring = type, error, setmetatable, tostring
    local OFF_LOOP = host.off_loop()
    local C = lib.channels
    local M = {}

    local function call(name, ...)
        local a, b = host[name](...)
        if a == OFF_LOOP then return lib.await("events." .. name, ...) end
        return a, b
    end

    -- Wippy's arguments are Lua strings (a number is taken as its text); anything
    -- else is a caller's mistake and raises, as Go's CheckString does.
    local function str(v, n, fname)
        local t = type(v)
        if t == "string" then return v end
        if t == "number" then return tostring(v) end
        error("bad argument #" .. n .. " to '" .. fname .. "' (string expected, got "
            .. (v == nil and "no value" or t) .. ")", 3)
    end
    local function invalid(msg) return nil, lib.error("Invalid", msg, false) end

    local SUB = {}
    local SUB_MT = lib.protect({__index = SUB, __name = "events.Subscription",
                                __tostring = function() return "events.Subscription{}" end})
    local STATE = setmetatable({}, {__mode = "k"})
    local function state(sub)
        local d = STATE[sub]
        if d == nil then error("bad argument #1 (subscription expected)", 3) end
        return d
    end

    function M.subscribe(system, kind)
        system = str(system, 1, "subscribe")
        if system == "" then return invalid("system pattern is required") end
        if kind ~= nil then kind = str(kind, 2, "subscribe") end
        local topic, err = call("subscribe", system, kind)
        if err then return nil, err end
        local h = C.sched().host
        h.topics = h.topics or {}
        local ch = C.new(64)
        h.topics[topic] = {ch = ch, message = false}
        local sub = setmetatable({}, SUB_MT)
        STATE[sub] = {ch = ch, topic = topic, host = h, closed = false}
        return sub
    end

    function SUB.channel(sub) return state(sub).ch end

    function SUB.close(sub)
        local d = state(sub)
        if d.closed then return true end
        d.closed = true
        call("unsubscribe", d.topic)
        if d.host.topics then d.host.topics[d.topic] = nil end
        d.ch:close()
        return true
    end

    function M.send(system, kind, path, data)
        system = str(system, 1, "send")
        kind = str(kind, 2, "send")
        path = str(path, 3, "send")
        if system == "" then return invalid("system is required") end
        if kind == "" then return invalid("kind is required") end
        if path == "" then return invalid("path is required") end
        return call("send", system, kind, path, data)
    end

    return M
end
