-- attack: reach the importing handler's modules and globals from library code
-- expect: ok [true]
-- modules: json, sql
-- library: shared shared.lua
handler_global = "secret"
local json_t, sql_t, hg, req = shared.peek()
assert(json_t == "nil" and sql_t == "nil" and hg == "nil" and req == "function",
       ("library saw %s %s %s %s"):format(json_t, sql_t, hg, req))
local ok, err = shared.try_require("sql")
assert(not ok and err:find("module 'sql' not found", 1, true), err)
assert(getmetatable(shared) == false, "the proxy's metatable is reachable")
assert(rawget(shared, "peek") == nil and next(shared) == nil)
return true
