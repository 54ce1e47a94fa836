"""A pool connection skips asyncpg's reset round trip after one plain write, and is still
reset after anything that can leave session state (wippy/sql/postgres_reset.py)."""
import asyncpg
import pytest

from tests.postgres.conftest import connect_args
from wippy.sql.postgres_reset import plain_write

pytestmark = pytest.mark.anyio


async def last_query(postgres_server, pg_database, pid: int) -> str:
    """What the pool connection's backend ran last, seen from a connection of its own."""
    conn = await asyncpg.connect(**connect_args(postgres_server, pg_database))
    try:
        return await conn.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid)
    finally:
        await conn.close()


async def test_a_plain_write_is_released_without_the_reset(pg_db, postgres_server, pg_database):
    async with pg_db(max_open=1) as db:
        await db.execute("CREATE TABLE r (id int PRIMARY KEY)")
        pid = (await db.query("SELECT pg_backend_pid() AS pid"))[0]["pid"]
        await db.execute("INSERT INTO r VALUES ($1)", [1])
        assert (await last_query(postgres_server, pg_database, pid)).startswith("INSERT INTO r")
        await db.query("UPDATE r SET id = 2 RETURNING id")
        assert (await last_query(postgres_server, pg_database, pid)).startswith("UPDATE r")
        await db.query("SELECT 1 AS x")     # a SELECT may change the session: reset
        assert "RESET ALL" in await last_query(postgres_server, pg_database, pid)
        await db.execute("DELETE FROM r WHERE id = $1", [2])
        assert (await last_query(postgres_server, pg_database, pid)).startswith("DELETE FROM r")


async def test_session_state_never_leaks_to_the_next_caller(pg_db):
    async with pg_db(max_open=1) as db:
        await db.execute("CREATE TABLE r (id int PRIMARY KEY)")
        default = (await db.query("SELECT current_setting('search_path') AS p"))[0]["p"]
        await db.query("SELECT set_config('search_path', 'nowhere', false)")
        assert (await db.query("SELECT current_setting('search_path') AS p"))[0]["p"] == default
        # Two statements in one simple-protocol call: the write does not excuse the SET.
        await db.execute("INSERT INTO r VALUES (1); SET search_path TO nowhere")
        assert (await db.query("SELECT current_setting('search_path') AS p"))[0]["p"] == default
        await db.query("SELECT pg_advisory_lock(7)")
        held = await db.query("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' "
                              "AND pid = pg_backend_pid()")
        assert held == [{"n": 0}]
        # A write inside a transaction ends in a release that resets, as every other does.
        async with await db.begin() as tx:
            await tx.execute("INSERT INTO r VALUES ($1)", [2])
            await tx.execute("SET search_path TO nowhere")
        assert (await db.query("SELECT current_setting('search_path') AS p"))[0]["p"] == default


@pytest.mark.parametrize("sql,extended,plain", [
    ("INSERT INTO t VALUES ($1)", True, True),
    (" -- note\n/* c */ insert into t values (1)", False, True),
    ("DELETE FROM t", False, True),
    ("UPDATE t SET a = 1;", False, True),
    ("UPDATE t SET a = 1; SET search_path TO x", False, False),
    ("SELECT 1", True, False),
    ("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", True, False),
    ("INSERTED", True, False),
    ("SET search_path TO x", False, False),
    ("", True, False),
])
def test_plain_write(sql, extended, plain):
    assert plain_write(sql, extended) is plain
