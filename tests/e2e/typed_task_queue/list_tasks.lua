local http = require("http")
local sql = require("sql")

type TaskRow = {
    id: string,
    payload: string,
    status: "pending" | "completed",
    result: string?,
    created_at: integer,
    processed_at: integer?
}

local function handler()
    local req, req_err = http.request()
    local res, res_err = http.response()

    if not req or not res then
        return nil, "failed to get HTTP context"
    end

    local db, db_err = sql.get("app:db")
    if db_err then
        res:set_status(http.STATUS.INTERNAL_SERVER_ERROR)
        res:write_json({error = "database unavailable"})
        return
    end

    local status_filter: string? = req:query("status")

    local query = sql.builder.select("id", "payload", "status", "result", "created_at", "processed_at")
        :from("tasks")
        :order_by("created_at DESC")
        :limit(100)

    if status_filter then
        query = query:where({status = status_filter})
    end

    local rows: {TaskRow}?, query_err = query:run_with(db):query()
    db:release()

    if query_err then
        res:set_status(http.STATUS.INTERNAL_SERVER_ERROR)
        res:write_json({error = "query failed"})
        return
    end

    for _, row in ipairs(rows!) do
        TaskRow(row)   -- raises, naming the field, if a row ever comes back in another shape
    end
    res:set_status(http.STATUS.OK)
    res:write_json({
        tasks = rows,
        count = #rows!
    })
end

return { handler = handler }
