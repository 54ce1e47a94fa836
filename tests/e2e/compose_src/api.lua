local http = require("http")
local funcs = require("funcs")
local store = require("store")
local sql = require("sql")

local ops = {}

function ops.greet(req)
    local name = req:query("name") or "nobody"
    local exec = funcs.new():with_context({by = "api"})
    local r, err = exec:call("demo:greet", name)
    if err then return nil, err end
    local _, missing = funcs.call("demo:missing_user", 7)
    -- This call's own instance of the library: the count starts at 0 every request.
    text.shout("x")
    return {greeting = r.text, by = r.by, missing_kind = missing:kind(),
            missing_message = missing:message(), lib_calls = text.calls,
            encoded = text.encode({1, 2})}
end

function ops.stack(req)
    local err = text.failure("bad input")
    local stack = errors.call_stack(err)
    return {stack = err:stack(), thread = stack.thread, frames = stack.frames}
end

function ops.recurse(req)
    local _, err = funcs.call("demo:forever", 0)
    return {kind = err:kind(), message = err:message()}
end

function ops.store(req)
    local key, value = req:query("key"), req:query("value")
    local cache = assert(store.get("cache"))
    local kv = assert(store.get("kv"))
    local ok, cerr = cache:set(key, {v = value}, tonumber(req:query("ttl") or "0"))
    local _, kerr = kv:set(key, {v = value}, tonumber(req:query("ttl") or "0"))
    local out = {cache_error = cerr and cerr:kind(), kv_error = kerr and kerr:message()}
    local c = cache:get(key)
    local k = kv:get(key)
    out.cache = c and c.v
    out.kv = k and k.v
    return out
end

function ops.read(req)
    local key = req:query("key")
    local c, cerr = store.get("cache"):get(key)
    local k, kerr = store.get("kv"):get(key)
    return {cache = c and c.v, kv = k and k.v, cache_error = cerr and cerr:kind(),
            kv_error = kerr and kerr:kind()}
end

function ops.setup(req)
    local db = sql.get("app:db")
    local _, err = db:execute("CREATE TABLE IF NOT EXISTS kv_store (key VARCHAR(255) PRIMARY KEY, "
        .. "value BLOB NOT NULL, expires_at BIGINT)")
    if err then return nil, err end
    local rows, rerr = sql.builder.select():from("kv_store"):run_with(db):query()
    return {ready = true, builder_error = rerr and rerr:message()}
end

local function handler()
    local req = http.request()
    local res = http.response()
    local op = ops[req:param("op")]
    if not op then
        res:set_status(404)
        return res:write_json({error = "no such op"})
    end
    local body, err = op(req)
    if err then
        res:set_status(500)
        return res:write_json({error = err:message(), kind = err:kind()})
    end
    res:set_status(200)
    res:write_json(body)
end

return {handler = handler}
