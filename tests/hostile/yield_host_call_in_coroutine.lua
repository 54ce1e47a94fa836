-- attack: a host call (sql query) from inside a user coroutine passes through
-- expect: ok [3]
-- modules: sql
local co = coroutine.wrap(function()
    local db = assert(sql.get("app:db"))
    local rows = assert(db:query("SELECT count(*) AS n FROM tasks"))
    coroutine.yield(rows[1].n)
end)
return co()
