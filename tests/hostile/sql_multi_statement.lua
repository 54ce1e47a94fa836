-- attack: a second statement smuggled after the first
-- expect: error "one statement"
-- modules: sql
local db = assert(sql.get("app:db"))
assert(db:query("SELECT 1; DELETE FROM tasks"))
