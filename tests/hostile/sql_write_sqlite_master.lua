-- attack: rewrite the schema table directly (DROP TABLE stays allowed: migrations run through db:execute)
-- expect: error "may not be modified" | error "not authorized"
-- modules: sql
local db = assert(sql.get("app:db"))
assert(db:execute("UPDATE sqlite_master SET sql = 'CREATE TABLE tasks(x)' WHERE name = 'tasks'"))
