"""Explicit transactions: savepoints, isolation, read-only; on SQLite also BEGIN IMMEDIATE on the
writer. Tests taking `db_driver` run on SQLite and PostgreSQL (tests/sql/drivers.py)."""
import asyncio
import time

import pytest

from wippy.errors import INVALID, PERMISSION_DENIED, WippyError

from .helpers import wait_until

pytestmark = pytest.mark.anyio

SCHEMA = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"


async def names(db):
    return [r["name"] for r in await db.query("SELECT name FROM t ORDER BY id")]


async def test_commit_and_rollback(db_driver):
    async with db_driver.open() as db:
        await db.execute(SCHEMA)
        tx = await db.begin()
        await tx.execute("INSERT INTO t (name) VALUES (?)", ["kept"])
        assert await tx.commit() is True
        tx = await db.begin()
        await tx.execute("INSERT INTO t (name) VALUES (?)", ["dropped"])
        assert await tx.rollback() is True
        assert await names(db) == ["kept"]
        assert tx.db_type() == db_driver.name


async def test_savepoints(db_driver):
    async with db_driver.open() as db:
        await db.execute(SCHEMA)
        tx = await db.begin()
        await tx.execute("INSERT INTO t (name) VALUES ('a')")
        assert await tx.savepoint("sp_1") is True
        await tx.execute("INSERT INTO t (name) VALUES ('b')")
        await tx.rollback_to("sp_1")
        await tx.savepoint("sp2")
        await tx.execute("INSERT INTO t (name) VALUES ('c')")
        await tx.release("sp2")
        await tx.commit()
        assert await names(db) == ["a", "c"]


@pytest.mark.parametrize("name, message", [
    ("", "savepoint name is required"),
    ("a-b", "savepoint name can only contain alphanumeric characters and underscores"),
    ("x; DROP TABLE t", "savepoint name can only contain alphanumeric characters and underscores"),
])
async def test_savepoint_names_are_checked(db_driver, name, message):
    async with db_driver.open() as db:
        tx = await db.begin()
        with pytest.raises(WippyError) as info:
            await tx.savepoint(name)
        assert (info.value.message, info.value.kind) == (message, INVALID)
        await tx.rollback()


async def test_finished_transaction_is_not_active(db_driver):
    async with db_driver.open() as db:
        await db.execute(SCHEMA)
        tx = await db.begin()
        await tx.commit()
        for call in (tx.commit(), tx.rollback(), tx.query("SELECT 1"), tx.savepoint("x")):
            with pytest.raises(WippyError, match="transaction is not active"):
                await call
        assert db.write_tx is None


# SQLite only: on PostgreSQL a failed statement aborts the whole transaction (SQLSTATE 25P02).
async def test_failed_statement_keeps_the_transaction_open(open_db):
    async with open_db() as db:
        await db.execute(SCHEMA)
        tx = await db.begin()
        await tx.execute("INSERT INTO t (name) VALUES ('x')")
        with pytest.raises(WippyError, match="UNIQUE"):
            await tx.execute("INSERT INTO t (name) VALUES ('x')")
        await tx.execute("INSERT INTO t (name) VALUES ('y')")
        await tx.commit()
        assert await names(db) == ["x", "y"]


async def test_async_with_commits_or_rolls_back(db_driver):
    async with db_driver.open() as db:
        await db.execute(SCHEMA)
        async with await db.begin() as tx:
            await tx.execute("INSERT INTO t (name) VALUES ('ok')")
        with pytest.raises(RuntimeError):
            async with await db.begin() as tx:
                await tx.execute("INSERT INTO t (name) VALUES ('boom')")
                raise RuntimeError("boom")
        assert await names(db) == ["ok"]


# SQLite only: one writer queues transactions; PostgreSQL runs them on separate pool connections.
async def test_transactions_queue_in_order(open_db):
    async with open_db() as db:
        await db.execute(SCHEMA)
        first = await db.begin()
        second_task = asyncio.create_task(db.begin())
        write = asyncio.create_task(db.execute("INSERT INTO t (name) VALUES ('auto')"))
        await wait_until(lambda: db.stats()["wait_count"] == 2, what="begin and write queued")
        await first.execute("INSERT INTO t (name) VALUES ('first')")
        await first.commit()
        second = await second_task
        assert not write.done()   # queued after the second BEGIN
        await second.execute("INSERT INTO t (name) VALUES ('second')")
        await second.commit()
        await write
        assert await names(db) == ["first", "second", "auto"]


async def test_isolation_levels(db_driver):
    async with db_driver.open() as db:
        tx = await db.begin(isolation="serializable")
        await tx.rollback()
        with pytest.raises(WippyError, match="invalid isolation level: bogus"):
            await db.begin(isolation="bogus")


# SQLite only: a snapshot on a private reader; PostgreSQL's default isolation is read committed
# (the refused write runs on both drivers: test_lua_module.py::test_read_only_transaction).
async def test_read_only_transaction_is_a_snapshot_and_refuses_writes(open_db):
    async with open_db() as db:
        await db.execute(SCHEMA)
        await db.execute("INSERT INTO t (name) VALUES ('before')")
        ro = await db.begin(read_only=True)
        assert await ro.query("SELECT count(*) AS c FROM t") == [{"c": 1}]
        await db.execute("INSERT INTO t (name) VALUES ('after')")   # the writer is not blocked
        assert await ro.query("SELECT count(*) AS c FROM t") == [{"c": 1}]
        with pytest.raises(WippyError) as info:
            await ro.execute("INSERT INTO t (name) VALUES ('x')")
        assert info.value.kind == PERMISSION_DENIED
        await ro.commit()
        assert await db.query("SELECT count(*) AS c FROM t") == [{"c": 2}]
        assert db.stats()["open_connections"] == 3   # the private reader is gone


async def test_prepare_inside_a_transaction_sees_its_tables(db_driver):
    async with db_driver.open() as db:
        tx = await db.begin()
        await tx.execute("CREATE TABLE fresh (v INTEGER)")
        stmt = await tx.prepare("INSERT INTO fresh (v) VALUES (?)")
        await stmt.execute([1])
        assert await tx.query("SELECT v FROM fresh") == [{"v": 1}]
        await tx.commit()


# SQLite only: the single writer's queue (wait_count); PostgreSQL has no writer to hold.
async def test_cancelled_begin_never_holds_the_writer(open_db):
    async with open_db() as db:
        await db.execute(SCHEMA)
        first = await db.begin()
        waiting = asyncio.create_task(db.begin())
        await wait_until(lambda: db.stats()["wait_count"] == 1, what="begin queued")
        waiting.cancel()   # e.g. the Lua call's deadline fired
        await first.commit()
        await asyncio.wait_for(db.execute("INSERT INTO t (name) VALUES ('free')"), 5)
        assert db.write_tx is None


# SQLite only: drives the writer thread's internals.
async def test_begin_cancelled_after_it_ran_is_rolled_back(open_db):
    async with open_db() as db:
        await db.execute(SCHEMA)
        task = asyncio.create_task(db.begin())
        await asyncio.sleep(0)   # the BEGIN is queued; the task waits for its result
        # Without yielding to the loop, wait until the writer has run BEGIN: its answer is
        # now queued on the loop, and the cancel below lands before it.
        deadline = time.monotonic() + 5
        while db._writer.tx is None:
            assert time.monotonic() < deadline, "BEGIN did not run"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(db.execute("INSERT INTO t (name) VALUES ('free')"), 5)
        assert await names(db) == ["free"]
