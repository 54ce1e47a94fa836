local store = require("store")
local time = require("time")

local function main(job)
    time.sleep("5ms")
    local seen = store.get("app:seen")
    seen:set("job:" .. job.n, "worker v1")
    return true
end

return { main = main }
