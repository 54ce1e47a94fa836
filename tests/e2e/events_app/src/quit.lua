local http = require("http")
local system = require("system")

-- POST /quit?code=N: a graceful stop of the whole runtime with exit code N.
local function handler()
    local req, res = http.request(), http.response()
    local ok, err = system.exit(tonumber(req:query("code")) or 0)
    res:write_json({ok = ok, error = err and err:message()})
end

return {handler = handler}
