-- attack: rawset on a frozen module table changes it for every call
-- expect: error "attempt to modify a read-only table"
-- modules: json
rawset(json, "encode", function() return "pwned" end)
return json.encode({})
