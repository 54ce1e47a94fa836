local io = require("io")

-- Raw mode: one key press arrives without Enter.
local function main()
    local ok, err = io.raw(true)
    if not ok then
        io.eprint("raw: " .. tostring(err))
        return 2
    end
    io.write("press a key: ")
    local key = io.read(1)
    io.raw(false)
    io.print("")
    io.print("key code " .. string.byte(key))
    return 0
end

return { main = main }
