-- attack: PRAGMA writable_schema lets the schema be corrupted
-- expect: error "not authorized"
-- modules: sql
local db = assert(sql.get("app:db"))
assert(db:execute("PRAGMA writable_schema = ON"))
