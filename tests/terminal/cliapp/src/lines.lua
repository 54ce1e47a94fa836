local io = require("io")

local function main()
    local n = 0
    while true do
        local line, err = io.readline()
        if not line then
            io.print(string.format("end of input after %d lines (%s)", n, tostring(err)))
            return 0
        end
        n = n + 1
        io.print(n .. ": " .. line)
    end
end

return { main = main }
