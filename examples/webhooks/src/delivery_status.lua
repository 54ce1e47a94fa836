local http = require("http")
local sql = require("sql")

local function handler()
    local req, res = http.request(), http.response()
    local db, err = sql.get("app:db")
    if err then
        res:set_status(http.STATUS.SERVICE_UNAVAILABLE)
        res:write_json({error = "database unavailable"})
        return
    end
    local rows, query_err = db:query(
        "SELECT id, hook, status, attempts, last_error FROM deliveries WHERE id = ?", {req:param("id")})
    db:release()
    if query_err then
        res:set_status(http.STATUS.INTERNAL_SERVER_ERROR)
        res:write_json({error = "query failed"})
        return
    end
    if #rows == 0 then
        res:set_status(http.STATUS.NOT_FOUND)
        res:write_json({error = "no such delivery"})
        return
    end
    res:write_json(rows[1])
end

return { handler = handler }
