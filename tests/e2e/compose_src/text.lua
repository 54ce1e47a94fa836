local M = {calls = 0}

function M.shout(s)
    M.calls = M.calls + 1
    return s:upper() .. "!"
end

function M.failure(message)
    local err = errors.new({message = message, kind = errors.INVALID})
    return err
end

function M.encode(v) return json.encode(v) end

return M
