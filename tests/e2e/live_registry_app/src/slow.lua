local http = require("http")
local time = require("time")
local logger = require("logger")

local function handler()
    logger:info("slow handler started")
    time.sleep("400ms")
    http.response():write("slow v1")
end

return { handler = handler }
