local sql = require("sql")
local logger = require("logger")

local function main()
    local db, err = sql.get("app:db")
    if err then
        logger:error("failed to connect", {error = tostring(err)})
        return 1
    end
    local _, exec_err = db:execute([[
        CREATE TABLE IF NOT EXISTS deliveries (
            id TEXT PRIMARY KEY,
            hook TEXT NOT NULL,
            payload TEXT NOT NULL,
            status TEXT NOT NULL,          -- pending, delivered, dead
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        )
    ]])
    db:release()
    if exec_err then
        logger:error("migration failed", {error = tostring(exec_err)})
        return 1
    end
    return 0
end

return { main = main }
