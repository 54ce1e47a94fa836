"""The test infrastructure itself: one private server, a database per test, restart works."""
import os

import asyncpg
import pytest


@pytest.mark.anyio
async def test_each_test_gets_its_own_empty_database(postgres_server, pg_database):
    conn = await asyncpg.connect(postgres_server.dsn(pg_database))
    try:
        assert await conn.fetchval("SELECT current_database()") == pg_database
        assert await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema='public'") == 0
        await conn.execute("CREATE TABLE t (id int)")
    finally:
        await conn.close()


def test_server_runs_unprivileged_from_its_own_dir(postgres_server):
    with open(os.path.join(postgres_server.data, "postmaster.pid")) as f:
        pid = int(f.readline())
    uid = os.stat(f"/proc/{pid}").st_uid
    assert uid != 0
    assert postgres_server.psql("SHOW data_directory").strip() == postgres_server.data


@pytest.mark.anyio
async def test_restart_drops_connections_then_serves_again(postgres_server):
    conn = await asyncpg.connect(postgres_server.dsn())
    postgres_server.restart()
    with pytest.raises((asyncpg.exceptions.AdminShutdownError, asyncpg.ConnectionDoesNotExistError,
                        ConnectionError)):
        await conn.fetchval("SELECT 1")
    await conn.close()
    conn = await asyncpg.connect(postgres_server.dsn())
    assert await conn.fetchval("SELECT 1") == 1
    await conn.close()
