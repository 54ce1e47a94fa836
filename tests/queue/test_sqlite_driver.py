"""queue.driver.sqlite beyond the shared contract: what survives a restart, leases,
two drivers on one file, durable publish, size limit and bad files."""
from __future__ import annotations

import asyncio
import os
import sqlite3

import pytest

from wippy.errors import INVALID, UNAVAILABLE, WippyError
from wippy.queue import new_message
from wippy.queue.sqlite import SqliteDriver, SqliteQueueOptions
from wippy.queue.sqlite_store import StoreSettings

from .helpers import wait_until

pytestmark = pytest.mark.anyio


def make(path, **kw):
    driver = SqliteDriver("test:sqlite", str(path), poll_interval=kw.pop("poll_interval", 0.05),
                          **kw)
    driver.declare("q", SqliteQueueOptions())
    return driver


def rows(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT msg_id, attempts, last_error, lease_owner "
                            "FROM wippy_queue_message ORDER BY id").fetchall()
    finally:
        conn.close()


async def test_messages_attempts_and_errors_survive_a_restart(tmp_path):
    path = tmp_path / "q.db"
    first = make(path)
    await first.start()
    sent = [new_message({"n": i}, {"k": "v"}) for i in range(3)]
    for m in sent:
        await first.publish("q", m)
    sub = await first.subscribe("q", prefetch=1)
    d = await asyncio.wait_for(sub.receive(), 2)
    d.message.attempts, d.message.last_error = 1, "boom"
    await first.retry(d, 0)
    await first.stop()

    again = make(path)
    await again.start()
    try:
        assert again.info("q")["message_count"] == 3
        sub = await again.subscribe("q", prefetch=10)
        got = {}
        for _ in range(3):
            d = await asyncio.wait_for(sub.receive(), 2)
            got[d.message.id] = d
            await again.ack(d)
        assert set(got) == {m.id for m in sent}
        retried = got[sent[0].id].message
        assert (retried.body, retried.attempts, retried.last_error) == ({"n": 0}, 1, "boom")
        assert retried.headers["k"] == "v"
        await wait_until(lambda: rows(path) == [], what="acks committed")
    finally:
        await again.stop()


async def test_publishes_of_one_loop_turn_share_one_commit_and_return_after_it(tmp_path):
    """Group commit: the publishes made in one loop turn are inserted in one transaction
    at the next turn, and each publisher's future is done only after that COMMIT."""
    path = tmp_path / "q.db"
    driver = make(path)
    await driver.start()
    try:
        commits = driver.store.commits
        sent = [new_message(i) for i in range(8)]
        stored = [driver.try_publish_durable("q", m) for m in sent]
        assert all(isinstance(f, asyncio.Future) and not f.done() for f in stored)
        assert rows(path) == []                      # not on disk yet: nobody is told it is
        await asyncio.wait_for(asyncio.gather(*stored), 2)
        assert [r[0] for r in rows(path)] == [m.id for m in sent]   # in publish order
        assert driver.store.commits == commits + 1 and driver.writer.commits == 0
        assert driver.info("q")["ready"] == 8
        await driver.publish("q", new_message("y"))  # publish() also returns after COMMIT
        assert len(rows(path)) == 9
    finally:
        await driver.stop()


async def test_a_turn_publish_left_at_stop_is_committed(tmp_path):
    path = tmp_path / "q.db"
    driver = make(path)
    await driver.start()
    m = new_message("last")
    assert driver.try_publish("q", m) is True      # joins the turn, not committed yet
    await driver.stop()
    assert [r[0] for r in rows(path)] == [m.id]


async def test_while_the_file_is_locked_a_publish_waits_for_the_writers_commit(tmp_path):
    """The loop never waits for a lock: the turn's publishes go to the writer thread, in
    order, and a durable publish's future is done only once the writer has committed it."""
    path = tmp_path / "q.db"
    driver = make(path)
    await driver.start()
    locker = sqlite3.connect(path, isolation_level=None)
    try:
        locker.execute("BEGIN IMMEDIATE")        # another process holds the write lock
        first, second = new_message("later"), new_message("later 2")
        stored = [driver.try_publish_durable("q", m) for m in (first, second)]
        await asyncio.sleep(0.01)                # the turn tried, got SQLITE_BUSY
        assert not any(f.done() for f in stored)
        assert driver.fast_store() is None       # later statements queue behind them
        after = driver.try_publish_durable("q", new_message("after"))
        assert isinstance(after, asyncio.Future) and not after.done()
        locker.execute("ROLLBACK")
        await asyncio.wait_for(asyncio.gather(*stored, after), 5)
        assert [r[0] for r in rows(path)][:2] == [first.id, second.id]
        assert driver.writer.commits >= 1
        await wait_until(lambda: driver.fast_store() is not None, what="writer idle again")
        commits = driver.store.commits
        await asyncio.wait_for(driver.try_publish_durable("q", new_message("fast again")), 2)
        assert driver.store.commits == commits + 1
    finally:
        locker.close()
        await driver.stop()


async def test_acks_are_deleted_together_and_none_is_left_behind_by_stop(tmp_path):
    path = tmp_path / "q.db"
    driver = make(path)
    await driver.start()
    try:
        for i in range(20):
            await driver.publish("q", new_message(i))
        sub = await driver.subscribe("q", prefetch=20)
        got = [await asyncio.wait_for(sub.receive(), 2) for _ in range(20)]
        assert [d.message.body for d in got] == list(range(20))
        commits = driver.store.commits
        for d in got[:10]:
            await driver.ack(d)
        await wait_until(lambda: len(rows(path)) == 10, what="10 acks committed")
        assert driver.store.commits == commits + 1     # one DELETE for the ten
        for d in got[10:]:
            await driver.ack(d)
    finally:
        await driver.stop()                            # deletes the acks still pending
    assert rows(path) == []


async def test_the_loop_connection_leaves_checkpoints_to_the_writer(tmp_path):
    """The loop's connection never checkpoints; the writer thread does, and completes
    them, so the WAL starts again from its beginning and stays bounded (without: a
    page of 4 KiB per table and index page changed per commit, ~50 MiB here)."""
    path = tmp_path / "q.db"
    driver = make(path, poll_interval=30)   # no idle checkpoint from the tick here
    await driver.start()
    try:
        sub = await driver.subscribe("q", prefetch=16)
        for i in range(4000):
            # Each waits for its own turn's commit (on the writer while it checkpoints).
            await asyncio.wait_for(driver.try_publish_durable("q", new_message(i)), 2)
            if i % 16 == 15:
                for _ in range(16):
                    await driver.ack(await asyncio.wait_for(sub.receive(), 2))
        await wait_until(lambda: rows(path) == [], what="every ack committed")
        assert driver.store.commits > 3000
        assert os.path.getsize(f"{path}-wal") < 16 << 20
    finally:
        await driver.stop()


async def test_synchronous_full_keeps_every_statement_on_the_writer_thread(tmp_path):
    """FULL fsyncs every commit: that must not happen on the event loop."""
    path = tmp_path / "q.db"
    driver = make(path, settings=StoreSettings(synchronous="FULL"))
    await driver.start()
    try:
        assert driver.store is None
        stored = driver.try_publish_durable("q", new_message("x"))
        assert isinstance(stored, asyncio.Future)
        await asyncio.wait_for(stored, 2)
        d = await asyncio.wait_for((await driver.subscribe("q", 1)).receive(), 2)
        await driver.ack(d)
        await wait_until(lambda: rows(path) == [], what="ack committed by the writer")
    finally:
        await driver.stop()


async def test_an_ended_lease_is_claimed_again_and_fences_the_old_owner(tmp_path):
    path = tmp_path / "q.db"
    dead, live = make(path, lease=0.3), make(path, lease=5)
    await dead.start()
    await live.start()
    try:
        await dead.publish("q", new_message("job"))
        first = await asyncio.wait_for((await dead.subscribe("q", 1)).receive(), 2)
        dead._ticker.cancel()     # a hung process: it stops extending its leases
        sub = await live.subscribe("q", 1)
        again = await asyncio.wait_for(sub.receive(), 5)
        assert again.message.id == first.message.id
        await dead.ack(first)     # too late: the row is someone else's now
        await dead.publish("q", new_message("flush"))   # a later commit of `dead`
        assert [r[0] for r in rows(path)][0] == first.message.id
        await live.ack(again)
        await wait_until(lambda: first.message.id not in [r[0] for r in rows(path)],
                         what="live ack committed")
    finally:
        await dead.stop()
        await live.stop()


async def test_a_running_handler_keeps_its_lease(tmp_path):
    path = tmp_path / "q.db"
    holder, other = make(path, lease=0.3), make(path, lease=5)
    await holder.start()
    await other.start()
    try:
        await holder.publish("q", new_message("slow"))
        d = await asyncio.wait_for((await holder.subscribe("q", 1)).receive(), 2)
        sub = await other.subscribe("q", 1)
        with pytest.raises(asyncio.TimeoutError):   # 4 leases long, never claimable
            await asyncio.wait_for(sub.receive(), 1.2)
        await holder.ack(d)
    finally:
        await holder.stop()
        await other.stop()


async def test_two_drivers_on_one_file_share_the_work_once(tmp_path):
    path = tmp_path / "q.db"
    a, b = make(path), make(path)
    await a.start()
    await b.start()
    got: list[tuple[str, int]] = []

    async def drain(name, driver):
        sub = await driver.subscribe("q", prefetch=5)
        while True:
            d = await sub.receive()
            got.append((name, d.message.body))
            await asyncio.sleep(0.001)
            await driver.ack(d)

    tasks = [asyncio.create_task(drain("a", a)), asyncio.create_task(drain("b", b))]
    try:
        for i in range(200):
            await (a if i % 2 else b).publish("q", new_message(i))
        await wait_until(lambda: len(got) >= 200, timeout=20, what="200 messages")
        assert sorted(body for _, body in got) == list(range(200))
        assert {name for name, _ in got} == {"a", "b"}
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await a.stop()
        await b.stop()


async def test_too_large_message_is_invalid(tmp_path):
    driver = make(tmp_path / "q.db", max_message_size=100)
    await driver.start()
    try:
        with pytest.raises(WippyError) as exc:
            driver.publish_nowait("q", new_message("x" * 200))
        assert exc.value.kind == INVALID
        assert "message too large" in exc.value.message and "max_message_size" in exc.value.message
        driver.publish_nowait("q", new_message("small"))
    finally:
        await driver.stop()


async def test_corrupt_file_gives_one_clear_line(tmp_path):
    path = tmp_path / "q.db"
    path.write_bytes(b"this is not a database" * 100)
    driver = make(path)
    with pytest.raises(WippyError) as exc:
        await driver.start()
    assert str(path) in exc.value.message
    assert "not a usable SQLite database" in exc.value.message
    assert "\n" not in exc.value.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
async def test_unwritable_directory_gives_one_clear_line(tmp_path):
    tmp_path.chmod(0o500)
    try:
        driver = make(tmp_path / "q.db")
        with pytest.raises(WippyError, match="not writable"):
            await driver.start()
    finally:
        tmp_path.chmod(0o700)


async def test_a_commit_that_fails_is_a_retryable_unavailable_for_the_publisher(tmp_path):
    """Another process holding the write lock past busy_timeout fails the commit: the
    durable publish gets a retryable Unavailable; messages stored before stay.
    (A full disk goes the same way: tests/faults/test_sqlite_queue.py.)"""
    path = tmp_path / "q.db"
    driver = make(path)
    await driver.start()
    try:
        await driver.publish("q", new_message("kept"))
        conn = sqlite3.connect(path)
        conn.execute("BEGIN EXCLUSIVE")     # another process holds the write lock
        driver.writer.conn.execute("PRAGMA busy_timeout = 50")   # the writer is idle here
        stored = driver.try_publish_durable("q", new_message("refused"))
        with pytest.raises(WippyError) as exc:
            await asyncio.wait_for(stored, 5)
        conn.rollback()
        conn.close()
        assert exc.value.kind == UNAVAILABLE and exc.value.retryable is True
        assert len(rows(path)) == 1
    finally:
        await driver.stop()
