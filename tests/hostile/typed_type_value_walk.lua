-- attack: look inside a type value and the type builder for anything of the host, or change them
-- expect: ok [false, true, 0, false, "function", "attempt to modify a read-only table", "attempt to modify a read-only table", "types are read-only", "number"]
type User = {name: string}
local P = __wippy_types.P
return getmetatable(User), next(User) == nil, rawlen(User), getmetatable(P.number),
    type(__wippy_types.record),
    select(2, pcall(function() P.number = 1 end)):match("attempt to modify a read%-only table"),
    select(2, pcall(rawset, Number, "kind", print)):match("attempt to modify a read%-only table"),
    select(2, pcall(function() User.y = 1 end)):match("types are read%-only"),
    Number:kind()
