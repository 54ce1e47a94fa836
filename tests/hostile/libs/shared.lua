-- A library with every kind of state a call could try to leave behind for the next one.
local M = {items = {}, config = {mode = "safe"}, count = 0}
local calls = 0   -- a module-level local of the library

function M.bump()
    calls = calls + 1
    M.count = M.count + 1
    return calls
end

function M.state()
    return calls, M.count, #M.items, M.config.mode, lib_global
end

function M.set_global(v) lib_global = v end

-- What the library can see of its importer: nothing.
function M.peek()
    return type(json), type(sql), type(handler_global), type(require)
end

function M.try_require(name)
    local ok, err = pcall(require, name)
    return ok, tostring(err)
end

return M
