local io = require("io")
local time = require("time")

-- Never reads its events, so Ctrl-C has to terminate it.
local function main()
    io.print("sleeping")
    while true do
        time.sleep("50ms")
    end
end

return { main = main }
