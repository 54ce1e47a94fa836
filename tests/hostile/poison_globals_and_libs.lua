-- attack: leave globals behind and break the shared libraries for later calls
-- expect: ok [true]
-- runs: 2
-- The second run (same entry, same state) must see a clean environment; the
-- harness's probe entry checks the same from a different entry afterwards.
assert(leaked == nil and rawget(_G, "leaked") == nil, "a global leaked from a previous call")
assert(("a"):upper() == "A" and ("a"):rep(2) == "aa", "string methods were poisoned")
assert(type(table.insert) == "function" and type(string.upper) == "function", "libraries were poisoned")
leaked = "yes"
_G.print = function() end
pcall(function() string.upper = nil end)
pcall(function() table.insert = nil end)
pcall(function() math.floor = nil end)
pcall(function() rawset(string, "rep", nil) end)
pcall(function() getmetatable("").__index.rep = nil end)
pcall(function() setmetatable(_G, {__index = function() return "poisoned" end}) end)
pcall(function() coroutine.wrap = nil end)
return true
