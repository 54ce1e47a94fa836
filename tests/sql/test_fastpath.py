"""The loop fast path (wippy/sql/fastpath.py): autocommit writes run on the event
loop while the writer is idle, and go to the writer thread otherwise."""
import asyncio
import sqlite3
import threading

import pytest

from wippy.errors import ALREADY_EXISTS, PERMISSION_DENIED, TIMEOUT, UNAVAILABLE, WippyError
from wippy.sql import fastpath
from wippy.sql.connection import run_internal

from .helpers import wait_until

pytestmark = pytest.mark.anyio


async def test_idle_write_runs_on_the_loop(open_db):
    async with open_db() as db:
        await db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT UNIQUE)")
        before = db.stats()["loop_writes"]
        res = await db.execute("INSERT INTO t(v) VALUES (?)", ["a"])
        assert res == {"last_insert_id": 1, "rows_affected": 1}
        assert db.stats()["loop_writes"] == before + 1
        assert await db.query("SELECT v FROM t") == [{"v": "a"}]


async def test_errors_keep_their_kinds_on_the_loop(open_db):
    async with open_db() as db:
        await db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT UNIQUE)")
        await db.execute("INSERT INTO t(v) VALUES ('a')")
        with pytest.raises(WippyError) as dup:
            await db.execute("INSERT INTO t(v) VALUES ('a')")
        assert dup.value.kind == ALREADY_EXISTS and "UNIQUE constraint failed" in dup.value.message
        with pytest.raises(WippyError) as attach:
            await db.execute("ATTACH DATABASE 'x.db' AS x")
        assert attach.value.kind == PERMISSION_DENIED
        # A deadline already past still aborts a long statement with Timeout.
        loop = asyncio.get_running_loop()
        with pytest.raises(WippyError) as late:
            await db.execute("INSERT INTO t(v) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
                             "SELECT x + 1 FROM c) SELECT x FROM c", deadline=loop.time() - 1)
        assert late.value.kind == TIMEOUT
        assert db.stats()["loop_fallbacks"] == 0


async def test_falls_back_to_the_writer_while_another_connection_holds_the_lock(open_db,
                                                                               tmp_path):
    async with open_db() as db:
        await db.execute("CREATE TABLE t(v TEXT)")
        other = sqlite3.connect(tmp_path / "app.db", isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            loop = asyncio.get_running_loop()
            started = loop.time()
            pending = asyncio.ensure_future(db.execute("INSERT INTO t VALUES ('x')"))
            # The loop is not blocked: this coroutine keeps running while the write waits.
            await wait_until(lambda: db.stats()["loop_fallbacks"] == 1)
            assert loop.time() - started < 1.0
            assert not pending.done()
            other.execute("COMMIT")
        finally:
            other.close()
        assert (await pending)["rows_affected"] == 1
        assert await db.query("SELECT v FROM t") == [{"v": "x"}]


async def test_lock_held_past_busy_timeout_fails_retryable_as_before(open_db, tmp_path):
    from wippy.sql import Settings
    async with open_db(settings=Settings(busy_timeout_ms=100)) as db:
        await db.execute("CREATE TABLE t(v TEXT)")
        other = sqlite3.connect(tmp_path / "app.db", isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(WippyError) as busy:
                await db.execute("INSERT INTO t VALUES ('x')")
        finally:
            other.close()
        assert busy.value.kind == UNAVAILABLE and busy.value.retryable
        assert "locked" in busy.value.message


async def test_no_fast_path_inside_a_transaction_or_with_queued_writes(open_db):
    async with open_db() as db:
        await db.execute("CREATE TABLE t(v INTEGER)")
        before = db.stats()["loop_writes"]
        tx = await db.begin()
        pending = asyncio.ensure_future(db.execute("INSERT INTO t VALUES (2)"))
        await tx.execute("INSERT INTO t VALUES (1)")
        await asyncio.sleep(0)
        assert not pending.done()    # queued behind the transaction, not run on the loop
        await tx.commit()
        await pending
        # 32 writes ready at once: a few run on the loop, the rest group-commit.
        await asyncio.gather(*(db.execute("INSERT INTO t VALUES (?)", [i]) for i in range(32)))
        assert db.stats()["loop_writes"] - before <= fastpath.PER_TICK
        assert db.stats()["commit_groups"] >= 1
        assert (await db.query("SELECT count(*) AS n FROM t"))[0]["n"] == 34


async def test_loop_connection_never_checkpoints(open_db, monkeypatch):
    monkeypatch.setattr(fastpath, "CHECKPOINT_EVERY", 50)
    async with open_db() as db:
        fast = db._fast
        assert run_internal(fast.conn, fast.guard, "PRAGMA wal_autocheckpoint") == [(0,)]
        assert run_internal(fast.conn, fast.guard, "PRAGMA busy_timeout") == [(0,)]
        await db.execute("CREATE TABLE t(v TEXT)")
        for i in range(120):
            await db.execute("INSERT INTO t VALUES (?)", ["x" * 2000])
        # Fast writes do not yield, so one caller's loop of writes runs PER_TICK of
        # them per loop turn and hands the next to the writer (where it waits).
        assert db.stats()["loop_writes"] >= 120 * fastpath.PER_TICK // (fastpath.PER_TICK + 1)
        await wait_until(lambda: db.stats()["checkpoints"] >= 2)
        writer = db._writer
        assert writer.checkpoint_thread == writer.ident != threading.get_ident()


async def test_idle_checkpoint_after_a_few_writes(open_db, monkeypatch):
    monkeypatch.setattr(fastpath, "IDLE_CHECKPOINT", 0.05)
    async with open_db() as db:
        await db.execute("CREATE TABLE t(v TEXT)")
        await db.execute("INSERT INTO t VALUES ('x')")
        await wait_until(lambda: db.stats()["checkpoints"] >= 1)


async def test_slow_statement_moves_to_the_writer(open_db, monkeypatch):
    monkeypatch.setattr(fastpath, "FAST_BUDGET", 0.0)
    async with open_db() as db:
        await db.execute("CREATE TABLE t(x INTEGER)")
        sql = ("INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
               "FROM c WHERE x < 20000) SELECT x FROM c")
        res = await db.execute(sql)
        assert res["rows_affected"] == 20000
        assert sql in db._fast.slow and db.stats()["loop_fallbacks"] == 1
        await db.execute(sql)               # remembered: straight to the writer
        assert db.stats()["loop_fallbacks"] == 1
        assert (await db.query("SELECT count(*) AS n FROM t"))[0]["n"] == 40000


async def test_connection_pragma_turns_the_fast_path_off(open_db):
    async with open_db() as db:
        await db.execute("CREATE TABLE p(id INTEGER PRIMARY KEY)")
        await db.execute("CREATE TABLE c(p INTEGER REFERENCES p(id))")
        await db.execute("PRAGMA foreign_keys = OFF")    # on the writer's connection
        before = db.stats()["loop_writes"]
        await db.execute("INSERT INTO c VALUES (42)")    # no parent: fine with FKs off
        assert db.stats()["loop_writes"] == before


async def test_memory_database_has_no_fast_path():
    from wippy.sql import Database
    db = Database("app:db", ":memory:")
    await db.start()
    try:
        await db.execute("CREATE TABLE t(v TEXT)")
        await db.execute("INSERT INTO t VALUES ('x')")
        assert db.stats()["loop_writes"] == 0
    finally:
        await db.stop()
