-- attack: an infinite recursive CTE
-- expect: timeout
-- modules: sql
local db = assert(sql.get("app:db"))
assert(db:query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"))
