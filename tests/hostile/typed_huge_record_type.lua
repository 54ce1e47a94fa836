-- attack: a record type with millions of fields, built through the type builder, then checked
-- expect: timeout | error "not enough memory"
local fields = {}
for i = 1, 1e8 do fields[i] = {"f" .. i, String, false} end
local Huge = __wippy_types.record(fields)
return Huge({})
