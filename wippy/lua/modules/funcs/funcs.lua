-- The `funcs` module (docs/modules/funcs.md): call other function entries.
-- Calls, futures and executors are Lua objects; the call itself runs on the
-- Python side (module.py), as a call of its own with its own modules and budget.
return function(host, lib)
    local type, select, setmetatable, error, tostring, next =
        type, select, setmetatable, error, tostring, next
    local await, lib_error, protect = lib.await, lib.error, lib.protect

    local M = {}

    local function bad_arg(n, fname, expected, got)
        error("bad argument #" .. n .. " to '" .. fname .. "' (" .. expected ..
              " expected, got " .. type(got) .. ")", 3)
    end

    -- Payload: what a future delivers; payload:data() gives the callee's result.
    local PAYLOAD = {}
    local PAYLOAD_MT = protect({__index = PAYLOAD, __tostring = function() return "funcs.Payload" end})
    local DATA = setmetatable({}, {__mode = "k"})
    local function payload(value)
        local p = setmetatable({}, PAYLOAD_MT)
        DATA[p] = {value}
        return p
    end
    function PAYLOAD.data(self)
        local d = DATA[self]
        if d == nil then error("bad self: expected a payload (use payload:data())", 2) end
        return d[1], nil
    end

    ------------------------------------------------------------ futures
    local FUTURE, CHANNEL = {}, {}
    local FUTURE_MT = protect({__index = FUTURE, __tostring = function() return "funcs.Future" end})
    local CHANNEL_MT = protect({__index = CHANNEL, __tostring = function() return "funcs.Channel" end})
    local IDS = setmetatable({}, {__mode = "k"})        -- future -> id
    local CHANNELS = setmetatable({}, {__mode = "k"})   -- future -> its channel
    local CH_STATE = setmetatable({}, {__mode = "k"})   -- channel -> {id, drained}

    local function id_of(self, name)
        local id = IDS[self]
        if id == nil then error("bad self: expected a future (use future:" .. name .. "())", 3) end
        return id
    end

    function FUTURE.is_complete(self) return host.status(id_of(self, "is_complete")) ~= "pending" end
    function FUTURE.is_canceled(self) return host.status(id_of(self, "is_canceled")) == "canceled" end

    -- nil, nil while pending; nil, err (the callee's own kind) on failure; payload, nil.
    function FUTURE.result(self)
        local status, value, err = host.result(id_of(self, "result"))
        if status == "pending" then return nil, nil end
        if err ~= nil then return nil, err end
        return payload(value), nil
    end

    -- As documented: a failure is reported as a non-retryable INTERNAL wrapper.
    function FUTURE.error(self)
        local _, _, err = host.result(id_of(self, "error"))
        if err == nil then return nil, false end
        return lib_error("Internal", err:message(), false), true
    end

    function FUTURE.cancel(self) return host.cancel(id_of(self, "cancel")), nil end

    local function channel_of(self, name)
        local id = id_of(self, name)
        local ch = CHANNELS[self]
        if ch == nil then
            ch = setmetatable({}, CHANNEL_MT)
            CH_STATE[ch] = {id = id, drained = false}
            CHANNELS[self] = ch
        end
        return ch
    end
    function FUTURE.response(self) return channel_of(self, "response") end
    function FUTURE.channel(self) return channel_of(self, "channel") end

    -- receive() waits for the call: (payload or error, true) once, then (nil, false).
    function CHANNEL.receive(self)
        local st = CH_STATE[self]
        if st == nil then error("bad self: expected a channel (use ch:receive())", 2) end
        if st.drained then return nil, false end
        local _, err = await("funcs.wait", st.id)
        if err ~= nil then return nil, false end   -- the caller ran out of time waiting
        st.drained = true
        local _, value, call_err = host.result(st.id)
        if call_err ~= nil then return call_err, true end
        return payload(value), true
    end

    ------------------------------------------------------------ calls
    local function start(op, fname, opts, target, ...)
        if type(target) ~= "string" then bad_arg(1, fname, "string", target) end
        local n = select("#", ...)
        return await(op, target, {...}, n, opts.context, opts.timeout)
    end

    local function call(opts, target, ...)
        return start("funcs.call", "call", opts, target, ...)
    end

    local function async(opts, target, ...)
        local id, err = start("funcs.async", "async", opts, target, ...)
        if id == nil then return nil, err end
        local f = setmetatable({}, FUTURE_MT)
        IDS[f] = id
        return f, nil
    end

    ------------------------------------------------------------ executors
    local EXEC = {}
    local EXEC_MT = protect({__index = EXEC, __tostring = function() return "funcs.Executor" end})
    local OPTS = setmetatable({}, {__mode = "k"})

    local function executor(opts)
        local e = setmetatable({}, EXEC_MT)
        OPTS[e] = opts
        return e
    end
    local function opts_of(self, name)
        local o = OPTS[self]
        if o == nil then error("bad self: expected an executor (use exec:" .. name .. "(...))", 3) end
        return o
    end

    -- Executors are immutable: each with_* returns a new one.
    function EXEC.with_context(self, values)
        local o = opts_of(self, "with_context")
        if type(values) ~= "table" then bad_arg(1, "with_context", "table", values) end
        local merged = {}
        if o.context then for k, v in next, o.context do merged[k] = v end end
        for k, v in next, values do
            if type(k) ~= "string" then
                return nil, lib_error("Invalid", "context keys must be strings, got " .. type(k), false)
            end
            merged[k] = v
        end
        return executor({context = merged, timeout = o.timeout}), nil
    end

    function EXEC.with_options(self, options)
        local o = opts_of(self, "with_options")
        if type(options) ~= "table" then bad_arg(1, "with_options", "table", options) end
        local timeout = options.timeout
        if timeout ~= nil and (type(timeout) ~= "number" or timeout <= 0) then
            return nil, lib_error("Invalid", "timeout must be a positive number of milliseconds", false)
        end
        return executor({context = o.context, timeout = timeout or o.timeout}), nil
    end

    local function no_security(name)
        return function(self)
            opts_of(self, name)
            return nil, lib_error("Invalid", name .. ": security actors and scopes are not "
                .. "supported by this runtime", false)
        end
    end
    EXEC.with_actor = no_security("with_actor")
    EXEC.with_scope = no_security("with_scope")

    function EXEC.call(self, target, ...) return call(opts_of(self, "call"), target, ...) end
    function EXEC.async(self, target, ...) return async(opts_of(self, "async"), target, ...) end

    local NO_OPTIONS = {}
    function M.call(target, ...) return call(NO_OPTIONS, target, ...) end
    function M.async(target, ...) return async(NO_OPTIONS, target, ...) end
    function M.new() return executor({}) end

    return M
end
