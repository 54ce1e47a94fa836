-- The `store` module (docs/modules/store.md): store.get(id) -> a store handle.
-- A memory store answers inside the host call; a SQL store's operations are
-- awaited on the loop (the host call says which by returning false).
return function(host, lib)
    local type, setmetatable, error = type, setmetatable, error
    local await, lib_error, protect = lib.await, lib.error, lib.protect

    local M = {
        backend = {MEMORY = "memory", SQL = "sql", KV_RAFT = "kv.raft", KV_CRDT = "kv.crdt",
                   UNKNOWN = "unknown"},
        consistency = {LINEARIZABLE = "linearizable", EVENTUAL = "eventual", LOCAL = "local",
                       UNKNOWN = "unknown"},
    }

    local STORE = {}
    local STORE_MT = protect({__index = STORE, __tostring = function() return "store.Store" end})
    local HANDLES = setmetatable({}, {__mode = "k"})   -- handle -> {id, released}

    local read_now, write_now = host.read_now, host.write_now

    local function run(now, op, self, name, ...)
        local h = HANDLES[self]
        if h == nil then error("bad self: expected a store (use store:" .. name .. "(...))", 3) end
        if h.released then return nil, lib_error("Invalid", "store released", false) end
        local done, value = now(h.id, name, ...)
        if done == nil then return nil, value end       -- the store's error
        if done then return value, nil end
        return await(op, h.id, name, ...)
    end

    for _, name in ipairs({"get", "entry", "list", "has", "info"}) do
        STORE[name] = function(self, ...) return run(read_now, "store.read", self, name, ...) end
    end
    for _, name in ipairs({"set", "put", "delete"}) do
        STORE[name] = function(self, ...) return run(write_now, "store.write", self, name, ...) end
    end

    function STORE.release(self)
        local h = HANDLES[self]
        if h == nil then error("bad self: expected a store (use store:release())", 2) end
        h.released = true
        return true
    end

    function M.get(id)
        if type(id) ~= "string" then
            error("bad argument #1 to 'get' (string expected, got " .. type(id) .. ")", 2)
        end
        local sid, err = host.acquire(id)
        if sid == nil then return nil, err end
        local s = setmetatable({}, STORE_MT)
        HANDLES[s] = {id = sid, released = false}
        return s, nil
    end

    return M
end
