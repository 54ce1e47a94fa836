local io = require("io")
local system = require("system")

-- system.exit(code) stops the runtime; wippy exits with that code, not main's.
local function main()
    io.print("quitting with 5")
    system.exit(5)
    return 0
end

return { main = main }
