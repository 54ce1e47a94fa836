-- attack: yield a table dressed up as a host request
-- expect: error "attempt to yield from outside a coroutine"
-- modules: sql
coroutine.yield({op = "sql.execute", args = {"DROP TABLE tasks"}})
