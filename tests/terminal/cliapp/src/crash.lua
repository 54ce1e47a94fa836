local io = require("io")

local function main()
    io.print("before the crash")
    local t = nil
    error("boom at step 2")
end

return { main = main }
