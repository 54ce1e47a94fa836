local http = require("http")
local queue = require("queue")
local sql = require("sql")
local uuid = require("uuid")

local MAX_PAYLOAD = 256 * 1024

local function handler()
    local req, res = http.request(), http.response()
    local name = req:param("name")
    local body = req:body() or ""
    if #body == 0 or #body > MAX_PAYLOAD then
        res:set_status(http.STATUS.BAD_REQUEST)
        res:write_json({error = "payload must be 1 byte to 256 KiB"})
        return
    end

    local id, now = uuid.v7(), os.time()
    local db, err = sql.get("app:db")
    if err then
        res:set_status(http.STATUS.SERVICE_UNAVAILABLE)
        res:write_json({error = "database unavailable"})
        return
    end
    local _, insert_err = db:execute(
        "INSERT INTO deliveries (id, hook, payload, status, created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?)",
        {id, name, body, now, now})
    db:release()
    if insert_err then
        res:set_status(http.STATUS.INTERNAL_SERVER_ERROR)
        res:write_json({error = "failed to store the payload"})
        return
    end

    local _, pub_err = queue.publish("app:deliveries", {id = id})
    if pub_err then
        res:set_status(http.STATUS.SERVICE_UNAVAILABLE)
        res:write_json({error = "delivery queue unavailable", id = id})
        return
    end
    res:set_status(http.STATUS.ACCEPTED)
    res:write_json({id = id, status = "pending"})
end

return { handler = handler }
