-- Shared by the handlers: how a delivery is signed, and how long a delivery may wait.
local hash = require("hash")
local time = require("time")

local M = {}

M.SIGNATURE_HEADER = "X-Webhook-Signature"

-- "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">": the timestamp is signed
-- too, so a receiver can refuse an old delivery replayed later.
function M.sign(secret, body, now)
    local t = tostring(now or time.now():unix())
    return "t=" .. t .. ",v1=" .. hash.hmac_sha256(t .. "." .. body, secret)
end

function M.is_success(status)
    return status >= 200 and status < 300
end

return M
