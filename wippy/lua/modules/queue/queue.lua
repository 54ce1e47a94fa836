-- The `queue` module (docs/modules/queue.md). Trusted code: argument shapes are
-- checked here, meaning (ids, emptiness, queue lookup) in queue.py.
return function(host, lib)
    local M = {}
    local type, tostring, error, setmetatable = type, tostring, error, setmetatable
    local h_publish, h_message, h_info = host.publish, host.message, host.info
    local h_id, h_header, h_headers = host.msg_id, host.msg_header, host.msg_headers
    local h_settle, h_attempt = host.msg_settle, host.msg_attempt

    local function bad_arg(n, fname, expected, got)
        error("bad argument #" .. n .. " to '" .. fname .. "' (" .. expected ..
              " expected, got " .. type(got) .. ")", 3)
    end

    function M.publish(queue_id, data, headers)
        if queue_id ~= nil and type(queue_id) ~= "string" then bad_arg(1, "publish", "string", queue_id) end
        if headers ~= nil and type(headers) ~= "table" then bad_arg(3, "publish", "table", headers) end
        local ok, err = h_publish(queue_id, data, headers)
        if ok == false then
            -- The queue is full: wait on the loop for room, at most the queue's bound.
            return lib.await("queue.publish_wait")
        elseif ok == "commit" then
            -- A durable driver: return once the message is on disk.
            return lib.await("queue.publish_commit")
        end
        return ok, err
    end

    -- Message objects carry only a delivery token and the id; the delivery
    -- itself stays in Python and is checked on every use.
    local TOKENS = setmetatable({}, {__mode = "k"})
    local IDS = setmetatable({}, {__mode = "k"})
    local methods = {}

    local function token_of(self)
        local t = TOKENS[self]
        if t == nil then error("bad self: expected a queue.Message (use msg:method())", 3) end
        return t
    end

    function methods.id(self) return h_id(token_of(self)) end
    function methods.header(self, key)
        if type(key) ~= "string" then bad_arg(1, "header", "string", key) end
        return h_header(token_of(self), key)
    end
    function methods.headers(self) return h_headers(token_of(self)) end
    function methods.ack(self) return h_settle(token_of(self), "ack") end
    function methods.nack(self) return h_settle(token_of(self), "nack") end
    function methods.attempt(self) return h_attempt(token_of(self)) end

    local MESSAGE_MT = lib.protect({
        __index = methods,
        __newindex = function() error("queue.Message is read-only", 2) end,
        __tostring = function(self) return "queue.Message{id=" .. tostring(IDS[self]) .. "}" end,
    })

    local delivery = lib.delivery
    function M.message()
        local token, id = delivery()   -- handed over with the call; Python says why if none
        if token == nil then token, id = h_message() end
        if token == nil then return nil, id end
        local msg = setmetatable({}, MESSAGE_MT)
        TOKENS[msg], IDS[msg] = token, id
        return msg, nil
    end

    function M.info(queue_id)
        if queue_id ~= nil and type(queue_id) ~= "string" then bad_arg(1, "info", "string", queue_id) end
        return h_info(queue_id)
    end

    return M
end
