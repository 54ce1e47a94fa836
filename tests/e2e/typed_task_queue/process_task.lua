local queue = require("queue")
local sql = require("sql")
local logger = require("logger")
local time = require("time")
local json = require("json")

type TaskPayload = {id: string, action: string, data: {[string]: any}, created_at: integer}
type Result = {output: string | number}

--- Queue worker: processes a task, stores the result in SQLite.
--- Returns true to ack (remove from queue), false to nack (requeue).
local function main(task: TaskPayload): boolean
    local msg, msg_err = queue.message()
    if msg_err then
        logger:error("failed to get message", {error = tostring(msg_err)})
        return false
    end
    local checked, check_err = TaskPayload:is(task)
    if not checked then
        logger:error("invalid task", {error = tostring(check_err)})
        return true
    end

    logger:info("processing task", {
        id = task.id,
        action = task.action
    })

    time.sleep("100ms")

    local result: Result
    if task.action == "uppercase" then
        result = {output = string.upper(task.data.text or "")}
    elseif task.action == "sum" then
        local nums: {number} = task.data.numbers or {}
        local total: number = 0
        for _, n: number in ipairs(nums) do
            total = total + n
        end
        result = {output = total}
    else
        result = {output = "processed"}
    end
    result = Result(result)

    local db, db_err = sql.get("app:db")
    if db_err then
        logger:error("database unavailable", {error = tostring(db_err)})
        return false
    end

    local insert = sql.builder.insert("tasks")
        :columns("id", "payload", "status", "result", "created_at", "processed_at")
        :values(
            task.id,
            json.encode(task),
            "completed",
            json.encode(result),
            task.created_at,
            os.time()
        )

    local _, exec_err = insert:run_with(db):exec()
    db:release()

    if exec_err then
        logger:error("failed to store result", {error = tostring(exec_err)})
        return false
    end

    logger:info("task completed", {id = task.id})
    return true
end

return { main = main }
