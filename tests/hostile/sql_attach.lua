-- attack: ATTACH DATABASE creates a file anywhere
-- expect: error "not authorized"
-- modules: sql
local db = assert(sql.get("app:db"))
assert(db:execute("ATTACH DATABASE '$TMP/canary' AS x"))
