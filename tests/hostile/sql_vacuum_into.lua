-- attack: VACUUM INTO writes a copy of the database anywhere
-- expect: error "not authorized" | error "authorization denied"
-- modules: sql
local db = assert(sql.get("app:db"))
assert(db:execute("VACUUM INTO '$TMP/canary'"))
