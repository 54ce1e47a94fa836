local http = require("http")

local function handler()
    local res = http.response()
    res:write("hello v1")
end

return { handler = handler }
