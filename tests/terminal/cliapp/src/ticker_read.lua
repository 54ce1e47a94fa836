local io = require("io")
local time = require("time")

-- A spawned coroutine ticks while main waits for a line: the read must not hold it.
local function main()
    local reading = true
    coroutine.spawn(function()
        local n = 0
        while reading do
            n = n + 1
            io.print("tick " .. n)
            time.sleep("20ms")
        end
    end)
    local line, err = io.readline()
    reading = false
    if err then
        io.print("stopped: " .. tostring(err) .. " (" .. err:kind() .. ")")
        return 0
    end
    io.print("got " .. line)
    return 0
end

return { main = main }
