"""Stopping promptly after the loop fast path wrote, and no fsync on the loop.

The stall these guard against: on a new file the writer connection switched to
WAL and then stayed outside the WAL (no -wal/-shm open, no lock on the file).
The fast-path connection and the readers were then the only WAL users, so their
closes raced to be "the last connection" (which checkpoints and deletes the
WAL), and the writer's final `wal_checkpoint(TRUNCATE)` sometimes waited out
the whole busy_timeout (5 s).
"""
import os
import time

import pytest

from wippy.sql import Database, Settings
from wippy.sql.connection import open_connection, run_internal
from wippy.sql.fastpath import MISS

pytestmark = pytest.mark.anyio


def test_the_writer_joins_the_wal_of_a_new_file_at_open(tmp_path):
    path = str(tmp_path / "new.db")
    writer, guard = open_connection(path, Settings())
    try:
        other, _ = open_connection(path, Settings())
        other.execute("CREATE TABLE t(v)")
        other.close()
        # Had the writer been outside the WAL, `other` would have closed as the last
        # connection, checkpointed and deleted the -wal file.
        assert os.path.exists(path + "-wal")
        started = time.monotonic()
        [(busy, _log, _done)] = run_internal(writer, guard, "PRAGMA wal_checkpoint(TRUNCATE)")
        assert busy == 0 and time.monotonic() - started < 1.0
    finally:
        writer.close()


async def test_twenty_stops_after_a_loop_write_and_a_reader_read_are_prompt(tmp_path):
    times = []
    for i in range(20):
        db = Database("app:db", str(tmp_path / f"fresh-{i}.db"))
        await db.start()
        await db.execute("CREATE TABLE t(v)")
        await db.execute("INSERT INTO t VALUES (?)", [i])
        assert await db.query("SELECT v FROM t") == [{"v": i}]
        assert db.stats()["loop_writes"] == 2   # both writes took the fast path
        started = time.monotonic()
        await db.stop()
        times.append(time.monotonic() - started)
        # Everything is in the main file: the WAL is gone (or empty).
        wal = tmp_path / f"fresh-{i}.db-wal"
        assert not wal.exists() or wal.stat().st_size == 0
    assert max(times) < 1.0, [round(t, 2) for t in times]


@pytest.mark.parametrize("synchronous", ["FULL", "EXTRA", "full"])
async def test_fsyncing_commits_never_run_on_the_event_loop(open_db, synchronous):
    async with open_db(settings=Settings(synchronous=synchronous)) as db:
        await db.execute("CREATE TABLE t(v)")
        assert db.execute_now("INSERT INTO t VALUES (1)") is MISS
        for i in range(5):
            assert (await db.execute("INSERT INTO t VALUES (?)", [i]))["rows_affected"] == 1
        assert await db.query("SELECT count(*) AS n FROM t") == [{"n": 5}]
        assert db.stats()["loop_writes"] == 0


@pytest.mark.parametrize("synchronous", ["NORMAL", "OFF"])
async def test_commits_without_fsync_keep_the_fast_path(open_db, synchronous):
    async with open_db(settings=Settings(synchronous=synchronous)) as db:
        await db.execute("CREATE TABLE t(v)")
        assert db.execute_now("INSERT INTO t VALUES (1)") == {"last_insert_id": 1,
                                                              "rows_affected": 1}
        assert db.stats()["loop_writes"] == 2
