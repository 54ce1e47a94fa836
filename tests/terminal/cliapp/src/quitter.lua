local io = require("io")
local system = require("system")

-- system.exit(code) stops the runtime; wippy exits with that code, not main's.
-- It returns true, nil (en/lua/system/system.md) and the program goes on until the
-- stop reaches it; here it returns at once.
local function main()
    io.print("quitting with 5")
    local ok, err = system.exit(5)
    io.print("exit requested: " .. tostring(ok) .. ", " .. tostring(err))
    return 0
end

return { main = main }
