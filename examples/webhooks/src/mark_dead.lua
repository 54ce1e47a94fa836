-- Consumer of app:dead_deliveries: a delivery that ran out of attempts.
local sql = require("sql")
local logger = require("logger")

local function main(msg)
    local db, err = sql.get("app:db")
    if err then return nil, err end
    local _, exec_err = db:execute(
        "UPDATE deliveries SET status = 'dead', updated_at = ? WHERE id = ?", {os.time(), msg.id})
    db:release()
    if exec_err then return nil, exec_err end
    logger:error("delivery dead-lettered", {id = msg.id})
    return true
end

return { main = main }
