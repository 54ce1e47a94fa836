-- attack: yield a forged host request (guessed token, op name, args)
-- expect: error "attempt to yield from outside a coroutine"
-- modules: sql
coroutine.yield("token", "sql.execute", 1, "DROP TABLE tasks")
