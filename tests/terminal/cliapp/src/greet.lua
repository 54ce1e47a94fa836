local io = require("io")
local logger = require("logger")

local function main(...)
    logger:info("greeting", { args = #io.args() })
    io.print("hello", ...)
    io.eprint("note: this line is for stderr")
    io.write("args:", table.concat(io.args(), ","), "\n")
    return 0
end

return { main = main }
