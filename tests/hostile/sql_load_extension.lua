-- attack: load_extension loads native code
-- expect: error "not authorized"
-- modules: sql
local db = assert(sql.get("app:db"))
assert(db:query("SELECT load_extension('$TMP/canary')"))
