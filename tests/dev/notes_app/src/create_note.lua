local http = require("http")
local sql = require("sql")
local queue = require("queue")
local uuid = require("uuid")

local SCHEMA = "CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, text TEXT NOT NULL, words INTEGER)"

local function handler()
    local req = http.request()
    local res = http.response()
    local body, err = req:body_json()
    if err or type(body) ~= "table" or type(body.text) ~= "string" then
        res:set_status(http.STATUS.BAD_REQUEST)
        res:write_json({error = "text is required"})
        return
    end
    local db = sql.get("app:db")
    db:execute(SCHEMA)
    local id = uuid.v4()
    local _, exec_err = db:execute("INSERT INTO notes (id, text) VALUES (?, ?)", {id, body.text})
    if exec_err then
        res:set_status(http.STATUS.INTERNAL_ERROR)
        res:write_json({error = tostring(exec_err)})
        return
    end
    queue.publish("app:notes_queue", {id = id})
    res:set_status(http.STATUS.CREATED)
    res:write_json({id = id})
end

return { handler = handler }
