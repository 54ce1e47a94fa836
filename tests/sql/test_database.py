"""Database: queries, row mapping, errors, group commit, routing, limits. Tests taking
`db_driver` run on SQLite and PostgreSQL (tests/sql/drivers.py)."""
import asyncio
import sqlite3
import time

import pytest

from wippy.errors import ALREADY_EXISTS, INVALID, PERMISSION_DENIED, TIMEOUT, UNAVAILABLE, WippyError
from wippy.sql import Settings

from .helpers import wait_until

pytestmark = pytest.mark.anyio

SCHEMA = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL, data BLOB, n INTEGER)"


async def test_execute_and_query_round_trip(db_driver):
    async with db_driver.open() as db:
        assert await db.execute(SCHEMA) == {"last_insert_id": 0, "rows_affected": 0}
        res = await db.execute("INSERT INTO t (name, score, data, n) VALUES (?, ?, ?, ?)",
                               ["a", 1.5, b"\x00\xff", 2**62])
        # PostgreSQL has no last insert id: 0 (docs/kinds/sql.md); the test reads it via RETURNING.
        assert res == {"last_insert_id": db_driver.pick(1, 0), "rows_affected": 1}
        await db.execute("INSERT INTO t (name) VALUES (?)", ("b",))
        rows = await db.query("SELECT * FROM t ORDER BY id")
        assert rows == [{"id": 1, "name": "a", "score": 1.5, "data": b"\x00\xff", "n": 2**62},
                        {"id": 2, "name": "b"}]   # NULL columns are absent
        assert type(rows[0]["n"]) is int
        assert await db.query("SELECT * FROM t WHERE id = ?", [99]) == []
        assert (await db.execute("UPDATE t SET n = 1"))["rows_affected"] == 2
        assert db.type == db_driver.name


# SQLite only: declared-type conversions (mattn/go-sqlite3 rules); PostgreSQL types are strict.
async def test_declared_time_and_boolean_columns(open_db):
    async with open_db() as db:
        await db.execute("CREATE TABLE e (a DATETIME, b TIMESTAMP, c DATE, d BOOLEAN, e BOOLEAN, f INTEGER)")
        await db.execute("INSERT INTO e VALUES (?, ?, ?, ?, ?, ?)",
                         [1700000000, "2024-05-06 07:08:09", "2024-05-06", True, 0, 1700000000])
        assert await db.query("SELECT * FROM e") == [{
            "a": "2023-11-14T22:13:20Z", "b": "2024-05-06T07:08:09Z", "c": "2024-05-06T00:00:00Z",
            "d": True, "e": False, "f": 1700000000}]


# SQLite only: SQLite's messages and codes (PostgreSQL's: tests/postgres/test_driver.py).
async def test_driver_errors_keep_the_driver_message(open_db):
    async with open_db() as db:
        await db.execute(SCHEMA)
        with pytest.raises(WippyError) as info:
            await db.query("SELECT * FROM tasks")
        assert (info.value.message, info.value.kind, info.value.retryable) == \
            ("no such table: tasks", INVALID, False)
        await db.execute("INSERT INTO t (name) VALUES ('x')")
        with pytest.raises(WippyError) as info:
            await db.execute("INSERT INTO t (name) VALUES ('x')")
        assert info.value.message == "UNIQUE constraint failed: t.name"
        assert info.value.kind == ALREADY_EXISTS
        assert info.value.details["sqlite_extended_code"] == 2067
        for sql, fragment in [("SELEC 1", "syntax error"),
                              ("SELECT ?", "Incorrect number of bindings")]:
            with pytest.raises(WippyError, match=fragment) as info:
                await db.query(sql)
            assert info.value.kind == INVALID


async def test_refused_statements_and_out_of_range_integers(db_driver):
    async with db_driver.open() as db:
        await db.execute(SCHEMA)
        for sql, fragment in [("", "query is required"),
                              ("SELECT 1; SELECT 2", db_driver.pick(   # each driver's own words
                                  "one statement at a time", "cannot insert multiple commands")),
                              ("BEGIN", "use db:begin()")]:
            with pytest.raises(WippyError, match=fragment) as info:
                await db.query(sql)
            assert info.value.kind == INVALID
        with pytest.raises(WippyError, match=r"out of (int64 )?range") as info:
            await db.execute("INSERT INTO t (n) VALUES (?)", [2**70])
        assert info.value.kind == INVALID


# SQLite only: group commit on the single writer.
async def test_concurrent_autocommit_writes_are_group_committed(open_db):
    async with open_db() as db:
        await db.execute(SCHEMA)

        async def writer(i):
            for j in range(50):
                await db.execute("INSERT INTO t (name) VALUES (?)", [f"{i}-{j}"])
        await asyncio.gather(*(writer(i) for i in range(32)))
        assert await db.query("SELECT count(*) AS c FROM t") == [{"c": 1600}]
        assert db.stats()["grouped_writes"] > 0


# SQLite only: group commit on the single writer.
async def test_each_write_in_a_group_fails_on_its_own(open_db):
    async with open_db() as db:
        await db.execute(SCHEMA)
        await db.execute("INSERT INTO t (name) VALUES ('dup')")
        tx = await db.begin()   # hold the writer so the writes below queue up together
        names = ["a", "b", "dup", "c", "d"]
        tasks = [asyncio.create_task(db.execute("INSERT INTO t (name) VALUES (?)", [n])) for n in names]
        await wait_until(lambda: db.stats()["wait_count"] == len(names), what="writes queued")
        await tx.commit()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert [isinstance(r, WippyError) for r in results] == [False, False, True, False, False]
        assert results[2].kind == ALREADY_EXISTS
        rows = await db.query("SELECT name FROM t ORDER BY id")
        assert [r["name"] for r in rows] == ["dup", "a", "b", "c", "d"]
        assert db.stats()["commit_groups"] >= 1


# SQLite only: the single writer queues autocommit writes behind a transaction.
async def test_reads_continue_while_a_transaction_holds_the_writer(open_db):
    async with open_db() as db:
        await db.execute(SCHEMA)
        tx = await db.begin()
        await tx.execute("INSERT INTO t (name) VALUES ('in-tx')")
        assert await tx.query("SELECT name FROM t") == [{"name": "in-tx"}]
        write = asyncio.create_task(db.execute("INSERT INTO t (name) VALUES ('after')"))
        assert await db.query("SELECT count(*) AS c FROM t") == [{"c": 0}]   # reader: committed data
        assert not write.done()
        await tx.commit()
        await write
        assert await db.query("SELECT name FROM t ORDER BY id") == [{"name": "in-tx"}, {"name": "after"}]


# SQLite only: the single writer's queue.
async def test_cancelled_queued_write_is_skipped(open_db):
    async with open_db() as db:
        await db.execute(SCHEMA)
        tx = await db.begin()
        write = asyncio.create_task(db.execute("INSERT INTO t (name) VALUES ('never')"))
        await wait_until(lambda: db.stats()["wait_count"] == 1, what="write queued")
        write.cancel()
        await tx.commit()
        assert await db.query("SELECT count(*) AS c FROM t") == [{"c": 0}]


async def test_returning_through_query_runs_on_the_writer(db_driver):
    async with db_driver.open() as db:
        await db.execute(SCHEMA)
        rows = await db.query("INSERT INTO t (name) VALUES (?) RETURNING id, name", ["r"])
        assert rows == [{"id": 1, "name": "r"}]
        assert await db.query("WITH x AS (SELECT 1 AS v) SELECT v FROM x") == [{"v": 1}]


async def test_prepare_checks_sql_at_once(db_driver):
    async with db_driver.open() as db:
        await db.execute(SCHEMA)
        ins = await db.prepare("INSERT INTO t (name) VALUES (?)")
        assert (await ins.execute(["p1"]))["rows_affected"] == 1
        sel = await db.prepare("SELECT name FROM t WHERE name = ?")
        assert await sel.query(["p1"]) == [{"name": "p1"}]
        await sel.close()
        with pytest.raises(WippyError, match="statement is closed"):
            await sel.query(["p1"])
        with pytest.raises(WippyError) as info:
            await db.prepare("SELECT * FROM nope")
        assert info.value.kind == INVALID   # the message is the driver's own
        assert info.value.message == db_driver.pick("no such table: nope",
                                                    'relation "nope" does not exist')
        assert await (await db.prepare("EXPLAIN SELECT 1")).query() != []


# SQLite only: the SQLite authorizer, ATTACH and PRAGMAs.
async def test_authorizer_blocks_attach_vacuum_into_and_pragmas(open_db, tmp_path):
    async with open_db() as db:
        for sql in (f"ATTACH DATABASE '{tmp_path}/evil.db' AS x", f"VACUUM INTO '{tmp_path}/copy.db'",
                    "PRAGMA journal_mode = DELETE", "PRAGMA writable_schema = ON"):
            with pytest.raises(WippyError) as info:
                await db.execute(sql)
            assert info.value.kind == PERMISSION_DENIED, sql
        assert not (tmp_path / "evil.db").exists() and not (tmp_path / "copy.db").exists()
        await db.execute("PRAGMA user_version = 7")
        assert await db.query("PRAGMA user_version") == [{"user_version": 7}]
        await db.execute(SCHEMA)
        assert len(await db.query("PRAGMA table_info(t)")) == 5
        assert await db.query("PRAGMA journal_mode") == [{"journal_mode": "wal"}]


async def test_deadline_aborts_a_runaway_query(db_driver):
    async with db_driver.open() as db:
        runaway = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"
        started = time.monotonic()
        with pytest.raises(WippyError) as info:
            await db.query(runaway, deadline=time.monotonic() + 0.2)
        assert info.value.kind == TIMEOUT
        assert time.monotonic() - started < 2.0
        assert await db.query("SELECT 1 AS one") == [{"one": 1}]


async def test_row_cap(db_driver):
    async with db_driver.open(max_rows=10) as db:
        # WHERE, not LIMIT, stops the recursion: PostgreSQL refuses LIMIT in a recursive term.
        q = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT x FROM c"
        assert len(await db.query(q, [10])) == 10
        with pytest.raises(WippyError, match="more than 10 rows"):
            await db.query(q, [11])


# SQLite only: file locking by another process.
async def test_busy_database_is_a_retryable_unavailable_error(open_db, tmp_path):
    async with open_db(settings=Settings(busy_timeout_ms=100)) as db:
        await db.execute(SCHEMA)
        other = sqlite3.connect(tmp_path / "app.db", isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(WippyError) as info:
                await db.execute("INSERT INTO t (name) VALUES ('x')")
            assert (info.value.kind, info.value.retryable) == (UNAVAILABLE, True)
            assert "locked" in info.value.message
            # Every write transaction takes the lock at BEGIN (IMMEDIATE), not at its first write.
            with pytest.raises(WippyError, match="locked"):
                await db.begin()
            assert await db.query("SELECT count(*) AS c FROM t") == [{"c": 0}]   # WAL reader
        finally:
            other.execute("ROLLBACK")
            other.close()
        await db.execute("INSERT INTO t (name) VALUES ('x')")


async def test_stats_has_go_keys(db_driver):
    async with db_driver.open() as db:
        stats = db.stats()
        for key in ("max_open_connections", "open_connections", "in_use", "idle", "wait_count",
                    "wait_duration", "max_idle_closed", "max_idle_time_closed", "max_lifetime_closed"):
            assert key in stats
        # SQLite: the writer and two readers; PostgreSQL: the pool's one connection from start().
        assert stats["open_connections"] == db_driver.pick(3, 1)


# SQLite only: max_page_count and group commit.
async def test_disk_full_fails_the_whole_group_retryably(open_db):
    async with open_db() as db:
        await db.execute("CREATE TABLE t (v)")
        # Cap the file at 3 pages (the writer is idle, waiting for work).
        db._writer.internal("PRAGMA max_page_count = 3")
        tx = await db.begin()
        small = asyncio.create_task(db.execute("INSERT INTO t VALUES ('small')"))
        huge = asyncio.create_task(db.execute("INSERT INTO t VALUES (?)", ["x" * 100_000]))
        await wait_until(lambda: db.stats()["wait_count"] == 2, what="writes queued")
        await tx.commit()
        results = await asyncio.gather(small, huge, return_exceptions=True)
        for err in results:   # SQLite rolled the batch back: neither write is kept
            assert isinstance(err, WippyError)
            assert (err.kind, err.retryable, err.message) == (UNAVAILABLE, True, "database or disk is full")
        assert await db.query("SELECT count(*) AS c FROM t") == [{"c": 0}]
        await db.execute("INSERT INTO t VALUES ('fits')")
        assert await db.query("SELECT v FROM t") == [{"v": "fits"}]
