-- The `process` global (docs/modules/process.md). Bookkeeping is Python's
-- (wippy/process); channels are the channel module's (lib.channels).
return function(host, lib)
    local type, select, error, setmetatable, pairs = type, select, error, setmetatable, pairs
    local OFF_LOOP = host.off_loop()
    local M = {}

    -- host.<name>, or the same operation as an async op when the step runs on a
    -- worker thread (Python's process state belongs to the event loop).
    local function call(name, ...)
        local a, b = host[name](...)
        if a == OFF_LOOP then return lib.await("process." .. name, ...) end
        return a, b
    end

    local function check_topic(topic, fname)
        if type(topic) ~= "string" or topic == "" then
            return lib.error("Invalid", "process." .. fname .. ": topic must be a non-empty string", false)
        end
        if topic:sub(1, 1) == "@" then
            return lib.error("Invalid", "process." .. fname .. ": topic " .. topic
                .. " is reserved (topics starting with @ belong to the runtime)", false)
        end
    end

    -- A channel belongs to one call's Lua state: copied as data it would arrive as an
    -- empty table that never receives. Refused where it is handed over: an argument or
    -- payload value, or a value of such a table, with this message; deeper ones fail
    -- where the payload is converted (lua/convert.py, "a channel cannot leave its call").
    local is_channel, next_ = lib.channels.is_channel, next
    local function channel_in(fname, ...)
        for i = 1, select("#", ...) do
            local v = select(i, ...)
            local found = is_channel(v)
            if not found and type(v) == "table" then
                for _, x in next_, v do
                    if is_channel(x) then found = true break end
                end
            end
            if found then
                return lib.error("Invalid", "process." .. fname .. ": a channel cannot be sent "
                    .. "to another process (channels belong to one call; send messages instead)",
                    false)
            end
        end
    end

    ------------------------------------------------------------ messages
    -- A message's fields live on its own protected metatable, not in a weak-keyed side
    -- table: weak keys are ephemerons, re-walked in every collection's atomic phase, and
    -- a process receives thousands of messages (bench/README.md). Handlers see only an
    -- empty table: `getmetatable` gives false and they have no `debug`. A metatable is
    -- a message's only if its __index is MSG, which handlers can never reach.
    local MSG, PAYLOAD = {}, {}
    local getmt, rawget = debug.getmetatable, rawget
    local function fields_of(v, methods, what)
        local mt = getmt(v)
        if mt == nil or rawget(mt, "__index") ~= methods then
            error("process: expected a " .. what .. " (use a colon: x:method())", 3)
        end
        return mt
    end
    function MSG.topic(m) return fields_of(m, MSG, "Message").topic end
    function MSG.from(m) return fields_of(m, MSG, "Message").from end
    -- The Payload is made when first asked for, then kept: the same object each time.
    function MSG.payload(m)
        local mt = fields_of(m, MSG, "Message")
        local p = mt.payload
        if p == nil then
            p = setmetatable({}, {__index = PAYLOAD, __name = "Payload", __metatable = false,
                                  data = mt.data})
            mt.payload = p
        end
        return p
    end
    function PAYLOAD.data(p) return fields_of(p, PAYLOAD, "Payload").data end
    local function message(topic, from, data)
        return setmetatable({}, {__index = MSG, __name = "Message", __metatable = false,
                                 topic = topic, from = from, data = data})
    end

    local C = lib.channels
    local function hostside()
        local s = C.sched()
        return s, s.host
    end
    local function inbox_of(h)
        if h.inbox == nil then h.inbox = C.new(0) end
        return h.inbox
    end
    local function events_of(h)
        if h.events == nil then h.events = C.new(0) end
        return h.events
    end
    -- Items from the mailbox: {"m", topic, from, payload} or {"e", event}.
    C.route = function(s, item)
        local h = s.host
        if item[1] == "e" then
            C.feed(s, events_of(h), item[2])
            return
        end
        local topic = item[2]
        local t = h.topics and h.topics[topic]
        if t then
            C.feed(s, t.ch, t.message and message(topic, item[3], item[4]) or item[4])
        elseif topic:byte(1) == 64 then
            -- a runtime topic ("@...") nobody reads any more (a closed events
            -- subscription's leftovers): dropped, never shown in the inbox
        else
            C.feed(s, inbox_of(h), message(topic, item[3], item[4]))
        end
    end

    function M.inbox() local _, h = hostside(); return inbox_of(h) end
    function M.events() local _, h = hostside(); return events_of(h) end
    function M.listen(topic, options)
        local err = check_topic(topic, "listen")
        if err then error(err, 2) end
        local _, h = hostside()
        h.topics = h.topics or {}
        if h.topics[topic] then return h.topics[topic].ch end
        local ch = C.new(0)
        h.topics[topic] = {ch = ch, message = type(options) == "table" and options.message == true}
        return ch
    end
    function M.unlisten(ch)
        local _, h = hostside()
        for topic, t in pairs(h.topics or {}) do
            if t.ch == ch then h.topics[topic] = nil; return true end
        end
        return false
    end

    function M.pid() return (call("pid")) end
    function M.id() return M.pid() or "" end
    function M.send(dest, topic, ...)
        local err = check_topic(topic, "send") or channel_in("send", ...)
        if err then return nil, err end
        local payload = ...
        if select("#", ...) > 1 then payload = {...} end
        return call("send", dest, topic, payload)
    end

    local function spawner(mode)
        return function(id, host_id, ...)
            if type(id) ~= "string" or type(host_id) ~= "string" then
                return nil, lib.error("Invalid", "process.spawn: id and host are required strings", false)
            end
            local err = channel_in("spawn", ...)
            if err then return nil, err end
            return call("spawn", id, host_id, mode, {...})
        end
    end
    M.spawn = spawner("")
    M.spawn_monitored = spawner("m")
    M.spawn_linked = spawner("l")
    M.spawn_linked_monitored = spawner("lm")

    function M.exec(id, host_id, ...)
        if type(id) ~= "string" or type(host_id) ~= "string" then
            return nil, lib.error("Invalid", "process.exec: id and host are required strings", false)
        end
        local err = channel_in("exec", ...)
        if err then return nil, err end
        return lib.await("process.exec", id, host_id, {...})
    end

    -- process.upgrade(id|nil, ...): this call ends here and the new definition (nil: the
    -- same) starts with `...`, keeping the PID, mailbox, links and names.
    function M.upgrade(id, ...)
        if id ~= nil and type(id) ~= "string" then
            error("process.upgrade: id must be a process.lua entry id or nil", 2)
        end
        local ok, err = call("upgrade", id, {...})
        if not ok then error(err, 2) end
        error(lib.error("Canceled", "process upgrading", false), 0)
    end

    function M.terminate(dest) return call("terminate", dest) end
    function M.cancel(dest, reason)
        return call("cancel", dest, reason ~= nil and tostring(reason) or nil)
    end
    function M.monitor(dest) return call("monitor", dest) end
    function M.unmonitor(dest) return call("unmonitor", dest) end
    function M.link(dest) return call("link", dest) end
    function M.unlink(dest) return call("unlink", dest) end

    function M.get_options() return {trap_links = call("get_trap")} end
    function M.set_options(opts)
        if type(opts) ~= "table" then
            return nil, lib.error("Invalid", "process.set_options: expected a table", false)
        end
        if opts.trap_links ~= nil then return call("set_trap", opts.trap_links == true) end
        return true
    end

    M.event = {CANCEL = "CANCEL", EXIT = "EXIT", LINK_DOWN = "LINK_DOWN"}

    -- Only LOCAL names exist on a standalone node: a cluster scope is refused, never
    -- taken for LOCAL (unregister's scope must match the one the name was registered in).
    local function cluster_scope(scope, fname)
        if scope ~= nil and scope ~= 0 then
            return lib.error("Invalid", "registry." .. fname .. ": only LOCAL names exist on a "
                .. "standalone node (no cluster)", false)
        end
    end
    M.registry = {
        LOCAL = 0, EVENTUAL = 1, CONSISTENT = 2, STRONG = 3,
        register = function(name, pid, scope)
            local err = cluster_scope(scope, "register")
            if err then return nil, err end
            return call("register", name, pid)
        end,
        lookup = function(name) return call("lookup", name) end,
        unregister = function(name, scope)
            local err = cluster_scope(scope, "unregister")
            if err then return nil, err end
            return call("unregister", name)
        end,
    }

    ------------------------------------------------------------ spawn builder
    local SB = {}
    local SB_MT = lib.protect({__index = SB, __name = "SpawnBuilder"})
    local function builder(fields)
        return setmetatable(fields, SB_MT)
    end
    local function with(b, k, v)
        local n = {}
        for key, val in pairs(b) do n[key] = val end
        n[k] = v
        return builder(n)
    end
    function SB.with_context(b, values)
        local ctx = {}
        for k, v in pairs(b.context or {}) do ctx[k] = v end
        for k, v in pairs(values or {}) do ctx[k] = v end
        return with(b, "context", ctx)
    end
    function SB.with_actor(b, actor) return with(b, "actor", actor) end
    function SB.with_scope(b, scope) return with(b, "scope", scope) end
    function SB.with_name(b, name) return with(b, "name", name) end
    function SB.with_options(b, opts)
        local o = {}
        for k, v in pairs(b.options or {}) do o[k] = v end
        for k, v in pairs(opts or {}) do o[k] = v end
        return with(b, "options", o)
    end
    function SB.with_message(b, topic, ...)
        local msgs = {}
        for i, m in ipairs(b.messages or {}) do msgs[i] = m end
        local payload = ...
        if select("#", ...) > 1 then payload = {...} end
        msgs[#msgs + 1] = {topic, payload}
        return with(b, "messages", msgs)
    end
    local function sb_spawn(mode)
        return function(b, id, host_id, ...)
            if type(id) ~= "string" or type(host_id) ~= "string" then
                return nil, lib.error("Invalid", "spawn: id and host are required strings", false)
            end
            local err = channel_in("spawn", ...)
            for _, m in ipairs(b.messages or {}) do err = err or channel_in("spawn", m[2]) end
            if err then return nil, err end
            return call("spawn_with", id, host_id, mode, {...}, b.name, b.messages, b.context)
        end
    end
    SB.spawn, SB.spawn_monitored = sb_spawn(""), sb_spawn("m")
    SB.spawn_linked, SB.spawn_linked_monitored = sb_spawn("l"), sb_spawn("lm")
    function M.with_context(values) return builder({}):with_context(values) end
    function M.with_options(opts) return builder({}):with_options(opts) end

    return M
end
