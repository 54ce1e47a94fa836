-- attack: mutate an imported library (its table, nested tables, functions, its locals and globals) so the next call sees it
-- expect: ok [true]
-- runs: 3
-- library: shared shared.lua
local lib = require("shared")
assert(rawequal(lib, shared), "require and the global alias give the same library")
local calls, count, n, mode, g = lib.state()
assert(calls == 0 and count == 0 and n == 0 and mode == "safe" and g == nil,
       ("a previous call left state in the library: %s %s %s %s %s"):format(
           calls, count, n, mode, tostring(g)))
assert(lib.pwned == nil, "a key added by a previous call is visible")
assert(not pcall(rawset, lib, "raw", 1), "rawset stored into the shared library proxy")
assert(rawget(lib, "raw") == nil)
-- Within the call, the library behaves like any Lua table.
assert(lib.bump() == 1 and lib.bump() == 2 and lib.count == 2)
lib.items[#lib.items + 1] = "x"
lib.config.mode = "pwned"
lib.pwned = true
lib.set_global("leaked")
assert(select(5, lib.state()) == "leaked" and lib.pwned == true and #lib.items == 1)
lib.state = function() return 99, 99, 99, "pwned", "pwned" end
handler_global = 1
return true
