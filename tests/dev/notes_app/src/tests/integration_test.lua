local funcs = require("funcs")

local function main()
    local result, err = funcs.call("app:add", 2, 3)
    if err then
        error("call failed: " .. tostring(err))
    end
    if result ~= 5 then
        error("expected 5, got: " .. tostring(result))
    end
    return true
end

return { main = main }
