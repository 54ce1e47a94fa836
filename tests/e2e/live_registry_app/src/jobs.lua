local http = require("http")
local queue = require("queue")
local store = require("store")
local json = require("json")

local function handler()
    local req, res = http.request(), http.response()
    local n = tonumber(req:query("n"))
    if req:method() == "POST" then
        for i = 1, n do
            local _, err = queue.publish("app:jobs", {n = i})
            if err then
                res:set_status(500)
                return res:write_json({error = tostring(err), published = i - 1})
            end
        end
        return res:write_json({published = n})
    end
    local seen = store.get("app:seen")
    local handled, by = 0, {}
    for i = 1, n do
        local who = seen:get("job:" .. i)
        if who then
            handled = handled + 1
            by[who] = (by[who] or 0) + 1
        end
    end
    res:write_json({handled = handled, by = by})
end

return { handler = handler }
