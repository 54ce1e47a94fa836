local calc = require("calc")

local function main(a, b)
    return calc.add(a, b)
end

return { main = main }
