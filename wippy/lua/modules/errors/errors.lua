-- The `errors` global: build and inspect structured error objects.
-- Error objects themselves (err:kind(), err:message(), ...) come from the engine (lib.error).
return function(host, lib)
    local type, rawget, next, error, tostring = type, rawget, next, error, tostring
    local M = {
        NOT_FOUND = "NotFound", ALREADY_EXISTS = "AlreadyExists", INVALID = "Invalid",
        PERMISSION_DENIED = "PermissionDenied", UNAVAILABLE = "Unavailable",
        INTERNAL = "Internal", CANCELED = "Canceled", CONFLICT = "Conflict",
        TIMEOUT = "Timeout", RATE_LIMITED = "RateLimited", UNKNOWN = "Unknown",
    }

    local function arg_error(n, fname, msg)
        error(("bad argument #%d to '%s' (%s)"):format(n, fname, msg), 3)
    end

    -- Details are copied as plain data, so later changes to the caller's table do not leak in.
    local function copy(v, depth, seen)
        if type(v) ~= "table" or lib.is_error(v) then return v end
        if depth > 32 or seen[v] then return nil end
        seen[v] = true
        local out = {}
        for k, item in next, v do out[k] = copy(item, depth + 1, seen) end
        seen[v] = nil
        return out
    end

    local function kind_of(v)
        if type(v) ~= "string" or v == "" then return nil end
        return v
    end

    function M.new(arg)
        local t = type(arg)
        if t == "string" then
            return lib.error(nil, arg)
        elseif t == "table" and not lib.is_error(arg) then
            local message = rawget(arg, "message")
            if message == nil then arg_error(1, "new", "message field is required") end
            if type(message) ~= "string" then arg_error(1, "new", "message must be a string") end
            local retryable = rawget(arg, "retryable")
            if type(retryable) ~= "boolean" then retryable = nil end
            local details = rawget(arg, "details")
            details = type(details) == "table" and copy(details, 0, {}) or nil
            return lib.error(kind_of(rawget(arg, "kind")), message, retryable, details)
        end
        arg_error(1, "new", "expected string or table, got " .. (t == "table" and "error" or t))
    end

    -- wrap keeps kind, retryable and details; the new message is "<context>: <message>".
    function M.wrap(err, context)
        local base, kind, retryable, details
        if lib.is_error(err) then
            base, kind, retryable, details = err:message(), err:kind(), err:retryable(), err:details()
        elseif type(err) == "string" then
            base = err
        else
            arg_error(1, "wrap", "expected string or error object, got " .. type(err))
        end
        if lib.is_error(context) then
            context = context:message()
        elseif type(context) ~= "string" then
            arg_error(2, "wrap", "expected string or error object, got " .. type(context))
        end
        return lib.error(kind, context .. ": " .. base, retryable, details,
                         lib.is_error(err) and err or nil)
    end

    function M.is(err, kind)
        if type(kind) ~= "string" then
            arg_error(2, "is", "string expected, got " .. type(kind))
        end
        return lib.is_error(err) and err:kind() == kind
    end

    -- {thread = "main" | "coroutine", frames = {{source, line, name}, ...}} of where
    -- the error was made (handler and library frames only), or nil when none was recorded.
    function M.call_stack(err)
        return lib.call_stack(err)
    end

    return M
end
