local io = require("io")

-- The exit code comes from the first argument: a number, "false", "none", "nil-err".
local function main(what)
    io.print("exiting with " .. tostring(what))
    if what == "false" then return false end
    if what == "none" then return end
    if what == "nil-err" then return nil, "bad input: " .. what end
    return tonumber(what)
end

return { main = main }
