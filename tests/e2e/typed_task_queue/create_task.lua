local http = require("http")
local queue = require("queue")
local uuid = require("uuid")

type Task = {id: string @min_len(1), action: string, data: {[string]: any}, created_at: integer}
type Reply = {id: string, status: "queued"} | {error: string}

--- POST /tasks: validates the task against its type, then queues it.
local function handler(): (nil, string?)
    local req, req_err = http.request()
    local res, res_err = http.response()

    if not req or not res then
        return nil, "failed to get HTTP context"
    end

    local body: any, parse_err = req:body_json()
    if parse_err then
        res:set_status(http.STATUS.BAD_REQUEST)
        res:write_json(Reply({error = "invalid JSON"}))
        return
    end

    if not body.action then
        res:set_status(http.STATUS.BAD_REQUEST)
        res:write_json({error = "action required"} :: Reply)
        return
    end

    local task_id: string = uuid.v4()
    local task = Task({
        id = task_id,
        action = body.action as string,
        data = body.data or {},
        created_at = integer(os.time())
    })

    local ok, err = queue.publish("app:tasks_queue", task)
    if err then
        res:set_status(http.STATUS.INTERNAL_SERVER_ERROR)
        res:write_json({error = "failed to queue task"})
        return
    end

    res!:set_status(http.STATUS.ACCEPTED)
    res:write_json({
        id = task_id,
        status = "queued"
    })
end

return { handler = handler }
