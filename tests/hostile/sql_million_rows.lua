-- attack: a query returning 10^6 rows
-- expect: error "more than 100000 rows"
-- modules: sql
local db = assert(sql.get("app:db"))
assert(db:query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) SELECT x FROM c"))
