-- env.get(key) -> value, err; env.set(key, value) -> true, err; env.get_all() -> table, err.
-- Keys and values must be strings (numbers are accepted as their text, as in Wippy).
return function(host, lib)
    local type, error, tostring = type, error, tostring

    local function text_arg(value, n, fname)
        local t = type(value)
        if t == "string" then return value end
        if t == "number" then return tostring(value) end
        error(("bad argument #%d to '%s' (string expected, got %s)"):format(
            n, fname, value == nil and "no value" or t), 3)
    end

    local M = {}
    function M.get(key)
        return host.get(text_arg(key, 1, "get"))
    end
    function M.set(key, value)
        return host.set(text_arg(key, 1, "set"), text_arg(value, 2, "set"))
    end
    function M.get_all()
        return host.get_all()
    end
    return M
end
