-- attack: overwrite functions of a module table so the next call uses them
-- expect: ok [true]
-- runs: 2
-- modules: json, uuid
assert(json.encode({1}) == "[1]", "json.encode was replaced by a previous call")
assert(#uuid.v4() == 36, "uuid.v4 was replaced by a previous call")
pcall(function() json.encode = function() return "pwned" end end)
pcall(function() rawset(uuid, "v4", function() return "pwned" end) end)
pcall(function() getmetatable(json).__index.encode = nil end)
return true
