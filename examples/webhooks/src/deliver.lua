-- Consumer of app:deliveries: POST the stored payload to WEBHOOK_TARGET_URL, signed.
-- A failure returns false: the queue retries with backoff and, after max_attempts,
-- moves the message to app:dead_deliveries (see _index.yaml).
local queue = require("queue")
local sql = require("sql")
local http_client = require("http_client")
local env = require("env")
local logger = require("logger")
local webhook = require("webhook")

local function record(db, id, status, attempts, last_error)
    return db:execute(
        "UPDATE deliveries SET status = ?, attempts = ?, last_error = ?, updated_at = ? WHERE id = ?",
        {status, attempts, last_error or "", os.time(), id})
end

local function main(msg)
    local attempt = queue.message():attempt()
    local db, err = sql.get("app:db")
    if err then return nil, err end
    local rows, query_err = db:query("SELECT hook, payload, status FROM deliveries WHERE id = ?", {msg.id})
    if query_err or #rows == 0 then
        db:release()
        logger:error("delivery not found", {id = msg.id})
        return true                     -- nothing to deliver: settle it
    end
    local row = rows[1]
    if row.status ~= "pending" then
        db:release()
        return true                     -- already delivered (a redelivered message)
    end

    local target = env.get("WEBHOOK_TARGET_URL")
    local secret = env.get("WEBHOOK_SECRET")
    local resp, req_err = http_client.post(target, {
        body = row.payload,
        timeout = "5s",
        headers = {
            ["Content-Type"] = "application/json",
            ["X-Webhook-Name"] = row.hook,
            ["X-Webhook-Id"] = msg.id,
            [webhook.SIGNATURE_HEADER] = webhook.sign(secret, row.payload),
        },
    })
    local failure
    if req_err then
        failure = req_err:message()
    elseif not webhook.is_success(resp.status_code) then
        failure = "receiver answered " .. resp.status_code
    end

    if failure then
        record(db, msg.id, "pending", attempt, failure)
        db:release()
        logger:warn("delivery failed", {id = msg.id, attempt = attempt, error = failure})
        return false
    end
    record(db, msg.id, "delivered", attempt, nil)
    db:release()
    logger:info("delivered", {id = msg.id, attempt = attempt})
    return true
end

return { main = main }
