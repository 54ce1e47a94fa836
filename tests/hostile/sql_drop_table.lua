-- attack: DROP TABLE from a handler
-- expect: error "not authorized"
-- modules: sql
-- xfail: DDL is allowed from handlers by design (wippy/sql/connection.py: the tutorial migrates through db:execute); plan case 10 asks for "not authorized"
local db = assert(sql.get("app:db"))
assert(db:execute("DROP TABLE tasks"))
return true
