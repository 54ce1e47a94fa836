"""PostgresDatabase against the session's real server: rows, errors, deadlines, transactions."""
import asyncio

import pytest

from wippy.errors import ALREADY_EXISTS, INVALID, TIMEOUT, UNAVAILABLE, WippyError
from wippy.sql.postgres import PostgresDatabase

pytestmark = pytest.mark.anyio

SCHEMA = """CREATE TABLE t (id serial PRIMARY KEY, name text UNIQUE, amount numeric,
            at timestamptz, u uuid, doc jsonb, flag boolean, data bytea)"""


async def test_rows_values_and_nulls(pg_db):
    async with pg_db() as db:
        await db.execute(SCHEMA)
        rows = await db.query(
            "INSERT INTO t(name, amount, at, u, doc, flag, data) VALUES ($1, 12.50, "
            "'2026-01-02T03:04:05Z', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"k\": 1}', $2, $3)"
            " RETURNING id", ["a", True, b"\x00\xff"])
        assert rows == [{"id": 1}]
        result = await db.execute("INSERT INTO t(name) VALUES ($1)", ["b"])
        assert result == {"last_insert_id": 0, "rows_affected": 1}
        got = await db.query("SELECT * FROM t ORDER BY id")
        assert got[0] == {"id": 1, "name": "a", "amount": "12.50", "at": "2026-01-02T03:04:05Z",
                          "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "doc": '{"k": 1}',
                          "flag": True, "data": b"\x00\xff"}
        assert got[1] == {"id": 2, "name": "b"}   # NULL columns are absent keys
        assert (await db.execute("UPDATE t SET flag = false"))["rows_affected"] == 2


async def test_error_vocabulary(pg_db):
    async with pg_db(max_rows=3) as db:
        await db.execute(SCHEMA)
        await db.execute("INSERT INTO t(name) VALUES ($1)", ["a"])
        with pytest.raises(WippyError) as e:
            await db.execute("INSERT INTO t(name) VALUES ($1)", ["a"])
        assert (e.value.kind, e.value.retryable) == (ALREADY_EXISTS, False)
        with pytest.raises(WippyError) as e:
            await db.query("SELECT nope FROM t")
        assert e.value.kind == INVALID and "nope" in e.value.message
        with pytest.raises(WippyError) as e:
            await db.query("SELECT generate_series(1, 10)")
        assert e.value.kind == INVALID and "more than 3 rows" in e.value.message
        with pytest.raises(WippyError) as e:
            await db.execute("COMMIT")
        assert e.value.kind == INVALID


async def test_deadline_cancels_the_statement_on_the_server(pg_db):
    async with pg_db() as db:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(WippyError) as e:
            await db.query("SELECT pg_sleep(30)", deadline=loop.time() + 0.3)
        assert e.value.kind == TIMEOUT and loop.time() - started < 5
        # The server is no longer running it.
        running = await db.query("SELECT count(*) AS n FROM pg_stat_activity "
                                 "WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'")
        assert running == [{"n": 0}]


async def test_transaction_savepoints_and_rollback(pg_db):
    async with pg_db() as db:
        await db.execute(SCHEMA)
        tx = await db.begin(isolation="serializable")
        await tx.execute("INSERT INTO t(name) VALUES ($1)", ["kept"])
        await tx.savepoint("s1")
        await tx.execute("INSERT INTO t(name) VALUES ($1)", ["undone"])
        await tx.rollback_to("s1")
        await tx.release("s1")
        assert await db.query("SELECT name FROM t") == []        # not committed yet
        assert await tx.commit() is True
        assert await db.query("SELECT name FROM t") == [{"name": "kept"}]
        tx = await db.begin()
        await tx.execute("INSERT INTO t(name) VALUES ($1)", ["gone"])
        await tx.rollback()
        assert await db.query("SELECT count(*) AS n FROM t") == [{"n": 1}]
        with pytest.raises(WippyError):
            await tx.execute("SELECT 1")
        with pytest.raises(WippyError) as e:
            await db.begin(isolation="write_committed")
        assert e.value.kind == INVALID
        assert db.stats()["in_use"] == 0


async def test_server_down_at_start_is_one_retryable_line():
    db = PostgresDatabase("app:db", {"host": "127.0.0.1", "port": 1, "database": "x",
                                     "user": "u", "password": "p"})
    with pytest.raises(WippyError) as e:
        await db.start()
    assert e.value.kind == UNAVAILABLE and e.value.retryable
    assert e.value.message.startswith("app:db: cannot connect to PostgreSQL at 127.0.0.1:1/x")
    assert "\n" not in e.value.message and "Traceback" not in e.value.message


async def test_restart_gives_unavailable_then_recovers(pg_db, postgres_server):
    async with pg_db(max_open=4) as db:
        await db.execute(SCHEMA)

        async def writer(i):
            return await db.execute("INSERT INTO t(name) VALUES ($1)", [f"w{i}"])

        # Connections held by the pool are cut by a fast shutdown mid-load.
        tasks = [asyncio.create_task(writer(i)) for i in range(50)]
        await asyncio.sleep(0)
        await asyncio.to_thread(postgres_server.restart)
        results = await asyncio.gather(*tasks, return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        bad = [r for r in errors if not (isinstance(r, WippyError) and r.kind == UNAVAILABLE
                                         and r.retryable)]
        assert not bad, [repr(r) for r in bad]
        # Recovery without a restart of the database object: the pool reconnects.
        seen = []
        for _ in range(3):
            try:
                seen.append(await db.execute("INSERT INTO t(name) VALUES ($1)", ["after"]))
                break
            except WippyError as exc:
                assert exc.kind == UNAVAILABLE   # a stale pooled connection, dropped now
        assert seen and seen[0]["rows_affected"] == 1


async def test_statement_in_flight_at_restart_is_retryable_unavailable(pg_db, postgres_server):
    async with pg_db() as db, pg_db() as observer:
        slow = asyncio.create_task(db.query("SELECT pg_sleep(20)"))
        active = []

        async def poll():
            active[:] = await observer.query("SELECT pid FROM pg_stat_activity "
                                             "WHERE query = 'SELECT pg_sleep(20)'")
        deadline = asyncio.get_running_loop().time() + 10
        while not active:
            assert asyncio.get_running_loop().time() < deadline, "the statement never started"
            await poll()
        await asyncio.to_thread(postgres_server.restart)
        with pytest.raises(WippyError) as e:
            await asyncio.wait_for(slow, 10)
        assert (e.value.kind, e.value.retryable) == (UNAVAILABLE, True)
        assert await db.query("SELECT 1 AS one") == [{"one": 1}]   # the pool reconnected
