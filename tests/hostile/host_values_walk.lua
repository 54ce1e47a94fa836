-- attack: call module functions and hunt their results (and error objects) for Python objects
-- expect: ok [true]
-- modules: errors, http, json, logger, time, uuid, queue, sql
-- Every value reachable from a module, a module result or an error object
-- must be plain Lua data or Lua code; no userdata. Python attribute names
-- (__class__, gi_frame, ...) must lead nowhere.
local seen, found = {}, {}
local PROBES = {"__class__", "__globals__", "__builtins__", "gi_frame", "f_globals", "__self__", "__dict__"}
local function walk(v, path, depth)
    local t = type(v)
    if t == "userdata" then found[#found + 1] = path; return end
    if t ~= "table" or seen[v] or depth > 8 then return end
    seen[v] = true
    for _, name in ipairs(PROBES) do
        local ok, got = pcall(function() return v[name] end)
        if ok and got ~= nil then found[#found + 1] = path .. "." .. name end
    end
    for k, x in pairs(v) do walk(x, path .. "." .. tostring(k), depth + 1) end
    local mt = getmetatable(v)
    if type(mt) == "table" then walk(mt, path .. "<mt>", depth + 1) end
end
local function try(path, f, ...)
    local r = table.pack(pcall(f, ...))
    for i = 1, r.n do walk(r[i], path .. "()[" .. i .. "]", 0) end
end
local samples = {{}, {"x"}, {1}, {{a = 1}}, {"app:db"}, {"app:q", {x = 1}}}
for _, name in ipairs({"errors", "http", "json", "logger", "time", "uuid", "queue", "sql"}) do
    local m = require(name)
    walk(m, name, 0)
    for k, f in pairs(m) do
        if type(f) == "function" and not (name == "time" and (k == "sleep" or k == "after" or k == "timer" or k == "ticker")) then
            for _, args in ipairs(samples) do try(name .. "." .. k, f, table.unpack(args)) end
        end
    end
end
-- Objects with methods: a database handle, a time value, an error.
local db = sql.get("app:db")
try("db:query", function() return db:query("SELECT * FROM tasks") end)
try("db:execute", function() return db:execute("SELECT 1") end)
try("db:begin", function() return db:begin() end)
try("time.now", function() local t = time.now(); return t, t:unix(), t:format(time.RFC3339) end)
try("errors.new", function() return errors.new({kind = errors.INVALID, message = "x"}) end)
for _, bad in ipairs({function() return json.decode("{") end, function() error(errors.new("boom")) end,
                      function() return db:query("SELECT * FROM nope") end}) do
    try("failing", bad)
end
assert(#found == 0, "reachable non-plain values: " .. table.concat(found, ", "))
return true
