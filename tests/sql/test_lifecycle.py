"""Opening, refusing to start, stopping, restarting, :memory:."""
import asyncio
import logging
import os

import pytest

from wippy.errors import INTERNAL, PERMISSION_DENIED, UNAVAILABLE, WippyError
from wippy.sql import Database, Settings

pytestmark = pytest.mark.anyio


async def test_first_use_opens_lazily_and_creates_parent_dirs(tmp_path, caplog):
    path = tmp_path / "data" / "nested" / "tasks.db"
    db = Database("app:db", str(path))
    caplog.set_level(logging.INFO, logger="wippy.app:db")
    try:
        assert await db.query("SELECT 1 AS one") == [{"one": 1}]
        assert path.exists()
        assert any("created directory" in r.getMessage() for r in caplog.records)
    finally:
        await db.stop()


async def test_relative_path_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = Database("app:db", "./data/tasks.db")
    await db.start()
    await db.stop()
    assert (tmp_path / "data" / "tasks.db").exists()


async def test_stop_finishes_queued_writes_and_checkpoints(open_db, tmp_path):
    async with open_db() as db:
        await db.execute("CREATE TABLE t (v)")
        writes = [asyncio.create_task(db.execute("INSERT INTO t VALUES (?)", [i])) for i in range(200)]
        await asyncio.sleep(0)   # let the tasks enqueue before stopping
        await db.stop()
        assert all(w.done() and not w.exception() for w in writes)
        wal = tmp_path / "app.db-wal"
        assert not wal.exists() or wal.stat().st_size == 0
        with pytest.raises(WippyError) as info:
            await db.query("SELECT 1")
        assert (info.value.message, info.value.kind, info.value.retryable) == \
            ("database is closed", UNAVAILABLE, True)
        await db.start()   # the supervisor may start it again
        assert await db.query("SELECT count(*) AS c FROM t") == [{"c": 200}]


async def test_stop_rolls_back_a_transaction_left_open(open_db):
    async with open_db() as db:
        await db.execute("CREATE TABLE t (v)")
        tx = await db.begin()
        await tx.execute("INSERT INTO t VALUES (1)")
        queued = asyncio.create_task(db.execute("INSERT INTO t VALUES (2)"))
        await asyncio.sleep(0)
        await db.stop(timeout=0.2)
        with pytest.raises(WippyError, match="database is closed"):
            await queued
        await db.start()
        assert await db.query("SELECT count(*) AS c FROM t") == [{"c": 0}]


async def test_refuses_a_file_that_is_not_a_database(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(os.urandom(4096))
    db = Database("app:db", str(bad))
    with pytest.raises(WippyError) as info:
        await db.start()
    message = info.value.message
    assert "\n" not in message
    assert message.startswith("app:db: ") and "is not a usable SQLite database" in message
    assert (info.value.kind, info.value.retryable) == (INTERNAL, False)
    assert db.state == "new"


async def test_refuses_when_the_directory_cannot_be_created(tmp_path):
    (tmp_path / "file").write_text("x")
    db = Database("app:db", str(tmp_path / "file" / "sub" / "x.db"))
    with pytest.raises(WippyError) as info:
        await db.start()
    assert "cannot create directory" in info.value.message
    assert (info.value.kind, info.value.retryable) == (PERMISSION_DENIED, False)


async def test_refuses_a_directory_as_file(tmp_path):
    db = Database("app:db", str(tmp_path))
    with pytest.raises(WippyError, match="is a directory"):
        await db.start()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
async def test_refuses_an_unwritable_directory(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(WippyError, match="not writable"):
            await Database("app:db", str(ro / "x.db")).start()
    finally:
        ro.chmod(0o700)


async def test_memory_database_uses_one_connection():
    db = Database("app:mem", ":memory:", Settings(readers=4))
    try:
        await db.execute("CREATE TABLE t (v)")
        await db.execute("INSERT INTO t VALUES (1)")
        assert await db.query("SELECT v FROM t") == [{"v": 1}]
        ro = await db.begin(read_only=True)
        assert await ro.query("SELECT count(*) AS c FROM t") == [{"c": 1}]
        with pytest.raises(WippyError):
            await ro.execute("INSERT INTO t VALUES (2)")
        await ro.rollback()
        await db.execute("INSERT INTO t VALUES (3)")   # query_only was reset
        assert db.stats()["open_connections"] == 1
    finally:
        await db.stop()


async def test_old_connections_are_reopened(tmp_path):
    db = Database("app:db", str(tmp_path / "x.db"), Settings(max_lifetime=0.0))
    try:
        await db.execute("CREATE TABLE t (v)")
        for i in range(3):
            await db.execute("INSERT INTO t VALUES (?)", [i])
            assert await db.query("SELECT count(*) AS c FROM t") == [{"c": i + 1}]
    finally:
        await db.stop()
