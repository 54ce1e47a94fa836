local http = require("http")
local sql = require("sql")

local function handler()
    local res = http.response()
    local db = sql.get("app:db")
    db:execute("CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, text TEXT NOT NULL, words INTEGER)")
    local rows = db:query("SELECT id, text, words FROM notes ORDER BY text")
    res:write_json({notes = rows})
end

return { handler = handler }
