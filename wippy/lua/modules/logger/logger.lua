-- The `logger` module value is a Logger object: always call it with a colon.
return function(host, lib)
    local type, next, error, tostring, setmetatable, getmetatable =
        type, next, error, tostring, setmetatable, getmetatable
    local getinfo = debug.getinfo
    local valid_text = lib.valid_text   -- log lines are text: U+FFFD for invalid bytes
    local STATE = setmetatable({}, {__mode = "k"})   -- logger -> {name = string|nil, fields = table}
    local methods = {}
    local MT = lib.protect({__index = methods, __newindex = function()
        error("attempt to modify a logger", 2)
    end, __tostring = function(l) return "Logger" end})

    local function new_logger(name, fields)
        local l = setmetatable({}, MT)
        STATE[l] = {name = name, fields = fields}
        return l
    end

    local function state_of(self, method)
        local st = STATE[self]
        if st == nil then
            error(("bad argument #1 to '%s' (logger expected, got %s); call it with a colon: "
                .. "logger:%s(...)"):format(method, type(self), method), 3)
        end
        return st
    end

    -- Field values that are objects become text: error objects their message, others tostring.
    local function field_value(v)
        if lib.is_error(v) then return v:message() end
        local t = type(v)
        if t == "table" then
            if getmetatable(v) ~= nil then return tostring(v) end
            return v
        end
        if t == "function" or t == "thread" or t == "userdata" then return nil end
        return v
    end

    local function merge(base, fields, n, method)
        if fields == nil then return base end
        if type(fields) ~= "table" then
            error(("bad argument #%d to '%s' (table expected, got %s)"):format(n, method, type(fields)), 3)
        end
        local out = {}
        for k, v in next, base do out[k] = v end
        for k, v in next, fields do
            if type(k) == "string" then out[k] = field_value(v) end
        end
        return out
    end

    local LEVELNO = {debug = 10, info = 20, warn = 30, error = 40}   -- Python's numbers
    local log_level = lib.log_level

    local function level_method(level)
        local levelno = LEVELNO[level]
        return function(self, msg, fields)
            local st = state_of(self, level)
            local tm = type(msg)
            if tm == "number" then
                msg = tostring(msg)
            elseif tm ~= "string" then
                error(("bad argument #2 to '%s' (string expected, got %s)"):format(level, tm), 2)
            end
            -- A level the entry's logger does not emit stops here, arguments checked,
            -- without a call into Python. Named loggers may have levels of their own.
            if st.name == nil and levelno < log_level() then
                if fields ~= nil and type(fields) ~= "table" then merge(st.fields, fields, 3, level) end
                return
            end
            local all = merge(st.fields, fields, 3, level)
            if level == "error" and fields ~= nil then
                local e = fields.error
                if e ~= nil and type(all.error) ~= "string" then all.error = tostring(e) end
            end
            local info = getinfo(2, "l")
            host.log(level, st.name, valid_text(msg), all, info and info.currentline or -1)
        end
    end
    methods.debug = level_method("debug")
    methods.info = level_method("info")
    methods.warn = level_method("warn")
    methods.error = level_method("error")

    function methods.with(self, fields)
        local st = state_of(self, "with")
        if type(fields) ~= "table" then
            error(("bad argument #1 to 'with' (table expected, got %s)"):format(type(fields)), 2)
        end
        return new_logger(st.name, merge(st.fields, fields, 1, "with"))
    end

    function methods.named(self, name)
        local st = state_of(self, "named")
        if type(name) ~= "string" then
            error(("bad argument #1 to 'named' (string expected, got %s)"):format(type(name)), 2)
        end
        if name == "" then error("bad argument #1 to 'named' (name cannot be empty)", 2) end
        return new_logger(st.name and (st.name .. "." .. name) or name, st.fields)
    end

    return new_logger(nil, {})
end
