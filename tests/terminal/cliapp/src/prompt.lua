local io = require("io")

local function main()
    io.write("> ")
    local line, err = io.readline()
    if err then
        io.print("stopped: " .. tostring(err) .. " (" .. err:kind() .. ")")
        return 0
    end
    io.print("got " .. line)
    return 0
end

return { main = main }
