"""pool.max_lifetime: a connection older than it is closed when it is released and the pool
opens a new one; younger connections are reused. The connection here is never idle, so
asyncpg's idle timeout cannot be what replaces it."""
from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.anyio


async def test_a_busy_connection_is_replaced_after_max_lifetime(pg_db, postgres_server,
                                                               pg_database):
    start = time.monotonic()     # before the connection opens: its age is at most this
    async with pg_db(max_open=1, max_lifetime=0.5) as db:
        first = (await db.query("SELECT pg_backend_pid() AS pid"))[0]["pid"]
        pid = first
        while pid == first and time.monotonic() - start < 10:
            pid = (await db.query("SELECT pg_backend_pid() AS pid"))[0]["pid"]
        elapsed = time.monotonic() - start
        assert pid != first, "the connection outlived max_lifetime"
        assert elapsed >= 0.5, f"replaced {elapsed:.2f}s after start, before its max_lifetime"
        assert db.stats()["max_lifetime_closed"] >= 1
        # The old session is closed on the server, not left behind.
        gone = postgres_server.psql(f"SELECT count(*) FROM pg_stat_activity WHERE pid = {first}",
                                    pg_database).strip()
        assert gone == "0"


async def test_transactions_release_through_the_same_check(pg_db):
    async with pg_db(max_open=1, max_lifetime=0.3) as db:
        tx = await db.begin()
        first = (await tx.query("SELECT pg_backend_pid() AS pid"))[0]["pid"]
        busy_until = time.monotonic() + 0.4
        while time.monotonic() < busy_until:
            await tx.query("SELECT 1")          # busy inside the transaction, past 0.3 s
        assert db.stats()["max_lifetime_closed"] == 0   # never taken from a transaction
        await tx.commit()
        pid = (await db.query("SELECT pg_backend_pid() AS pid"))[0]["pid"]
        assert pid != first
        assert db.stats()["max_lifetime_closed"] == 1


async def test_young_connections_are_reused(pg_db):
    async with pg_db(max_open=1, max_lifetime=3600) as db:
        pids = {(await db.query("SELECT pg_backend_pid() AS pid"))[0]["pid"] for _ in range(20)}
        assert len(pids) == 1
        assert db.stats()["max_lifetime_closed"] == 0
