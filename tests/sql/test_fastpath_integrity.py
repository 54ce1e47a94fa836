"""The loop fast path stores each write once, and its WAL stays bounded.

Two ways the fast path (wippy/sql/fastpath.py) could break that:

* SQLite also calls the progress handler as a statement ends, after an
  autocommit statement has committed; SQLite counts VM steps across runs of one
  cached statement, so a plain one-row INSERT meets that call about once every
  PROGRESS_STEPS / (steps per run) runs. A handler that says "over budget" there
  reports SQLITE_INTERRUPT for a row already stored: handed to the writer, the
  INSERT would be stored twice; past the caller's deadline, the caller would get
  Timeout for a row that exists.
* A checkpoint that races the loop's commits never completes, and only a
  complete one lets the next commit start the WAL from its beginning.
"""
import asyncio
import os

import pytest

from wippy.errors import TIMEOUT, WippyError
from wippy.sql import Settings, fastpath
from wippy.sql.connection import PROGRESS_STEPS

from .helpers import wait_until

pytestmark = pytest.mark.anyio

# More runs than one statement needs to meet the progress handler at its end
# (a one-row INSERT is a few dozen VM steps, PROGRESS_STEPS between calls).
RUNS = 3 * PROGRESS_STEPS // 10


async def count_per_key(db) -> dict:
    rows = await db.query("SELECT k, count(*) AS n FROM t GROUP BY k")
    return {row["k"]: row["n"] for row in rows}


async def test_an_insert_over_the_loop_budget_is_stored_once(open_db, monkeypatch):
    # Every progress-handler call on the loop now finds the budget spent: the ones
    # at a statement's end come after its autocommit would have committed.
    monkeypatch.setattr(fastpath, "FAST_BUDGET", 0.0)
    async with open_db() as db:
        await db.execute("CREATE TABLE t(k INTEGER)")
        for k in range(RUNS):
            assert (await db.execute("INSERT INTO t(k) VALUES (?)", [k]))["rows_affected"] == 1
        counts = await count_per_key(db)
        assert {k: n for k, n in counts.items() if n != 1} == {}
        assert len(counts) == RUNS
        assert db.stats()["loop_fallbacks"] >= 1   # the budget did run out on the loop


async def test_a_unique_insert_over_the_loop_budget_succeeds_once(open_db, monkeypatch):
    monkeypatch.setattr(fastpath, "FAST_BUDGET", 0.0)
    async with open_db() as db:
        await db.execute("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)")
        failed = []
        for k in range(RUNS):
            try:
                await db.execute("INSERT INTO t(k, v) VALUES (?, 'x')", [k])
            except WippyError as exc:   # a retry of a stored row: UNIQUE constraint failed
                failed.append((k, exc.kind))
        assert failed == []
        assert await db.query("SELECT count(*) AS n FROM t") == [{"n": RUNS}]


async def insert_past_deadline(target) -> list[int]:
    """RUNS one-row INSERTs through `target` (a Database or a Transaction), each with
    a deadline already past; the keys of those that succeeded. Every one that failed
    must have failed with Timeout, and at least one must have."""
    loop = asyncio.get_running_loop()
    ok = []
    for k in range(RUNS):
        try:
            await target.execute("INSERT INTO t(k) VALUES (?)", [k], deadline=loop.time() - 1)
            ok.append(k)
        except WippyError as exc:
            assert exc.kind == TIMEOUT, exc
    assert len(ok) < RUNS   # the deadline was checked at least once
    return ok


@pytest.mark.parametrize("synchronous", ["NORMAL", "FULL"])   # loop and writer thread
async def test_a_write_that_fails_with_timeout_changed_nothing(open_db, synchronous):
    async with open_db(settings=Settings(synchronous=synchronous)) as db:
        await db.execute("CREATE TABLE t(k INTEGER)")
        ok = await insert_past_deadline(db)
        counts = await count_per_key(db)
        assert sorted(counts) == ok and set(counts.values()) == {1}


def wal_size(path) -> int:
    wal = f"{path}-wal"
    return os.path.getsize(wal) if os.path.exists(wal) else 0


async def test_the_wal_stays_bounded_under_steady_writes_and_reads(open_db, tmp_path):
    """20 000 one-row commits from 8 writers, 4 KiB+ of WAL each, while 2 readers keep
    reading: the WAL grew to ~48 MiB here (~350 MiB over 80 000) when checkpoints
    never completed; a complete one restarts it, every CHECKPOINT_EVERY fast commits."""
    path = tmp_path / "app.db"
    async with open_db() as db:
        await db.execute("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)")
        stop = asyncio.Event()
        reads = 0

        async def reader():
            nonlocal reads
            while not stop.is_set():
                # Whole-table reads: some reader is nearly always on a snapshot.
                await db.query("SELECT count(*) AS n, sum(length(v)) AS s FROM t")
                reads += 1

        readers = [asyncio.ensure_future(reader()) for _ in range(2)]
        peak = 0

        async def writer(first: int) -> None:
            nonlocal peak
            for k in range(first, first + 2_500):
                await db.execute("INSERT INTO t(k, v) VALUES (?, ?)", [k, "x" * 100])
                if k % 100 == 0:
                    peak = max(peak, wal_size(path))
                    await asyncio.sleep(0)   # as a handler between requests

        try:
            await asyncio.gather(*(writer(i * 2_500) for i in range(8)))
        finally:
            stop.set()
            await asyncio.gather(*readers)
        peak = max(peak, wal_size(path))
        stats = db.stats()
        assert reads > 10 and stats["loop_writes"] > 10_000, (reads, stats)
        assert peak < 16 << 20, (peak, stats)
        assert stats["checkpoint_restarts"] >= 1, stats


async def test_a_statement_that_fails_with_timeout_in_a_transaction_changed_nothing(open_db):
    async with open_db() as db:
        await db.execute("CREATE TABLE t(k INTEGER)")
        tx = await db.begin()
        ok = await insert_past_deadline(tx)
        await tx.commit()
        counts = await count_per_key(db)
        assert sorted(counts) == ok and set(counts.values()) == {1}


async def test_a_statement_past_its_deadline_fails_alone_in_a_commit_group(open_db):
    """An interrupted write makes SQLite roll back the whole transaction: the writes
    grouped with it (writer.py group commit) are run again, not failed with Timeout."""
    async with open_db(settings=Settings(synchronous="FULL")) as db:   # all on the writer
        await db.execute("CREATE TABLE t(k INTEGER)")
        loop = asyncio.get_running_loop()
        tx = await db.begin()   # holds the writer: what follows queues and forms one group
        before = asyncio.ensure_future(db.execute("INSERT INTO t(k) VALUES (1)"))
        runaway = asyncio.ensure_future(db.execute(
            "INSERT INTO t(k) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
            "FROM c) SELECT x FROM c", deadline=loop.time() + 0.2))
        after = asyncio.ensure_future(db.execute("INSERT INTO t(k) VALUES (2)"))
        await wait_until(lambda: db.stats()["wait_count"] >= 3)   # queued behind it
        await tx.commit()
        with pytest.raises(WippyError) as late:
            await runaway
        assert late.value.kind == TIMEOUT
        assert (await before)["rows_affected"] == 1 and (await after)["rows_affected"] == 1
        assert await count_per_key(db) == {1: 1, 2: 1}
        assert db.stats()["commit_groups"] >= 1
