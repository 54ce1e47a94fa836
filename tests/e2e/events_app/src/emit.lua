local http = require("http")
local json = require("json")
local events = require("events")

-- POST /emit {system, kind, path, value}: publish one event from a function call.
local function handler()
    local req, res = http.request(), http.response()
    local body = json.decode(req:body())
    local ok, err = events.send(body.system or "", body.kind or "", body.path or "",
                                body.value ~= nil and {value = body.value} or nil)
    if err then
        res:set_status(400)
        return res:write_json({error = err:message(), kind = err:kind()})
    end
    res:write_json({ok = ok})
end

return {handler = handler}
