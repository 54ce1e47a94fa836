"""Several nodes running the same migration at the same moment on one fresh database.

PostgreSQL's CREATE TABLE IF NOT EXISTS races in the catalog (one session fails with a
unique violation on pg_type); wippy/sql/postgres_ddl.py serializes schema statements with
an advisory lock. Without it, test_six_pools_create_the_same_table_at_once fails every time
(45 of 60 statements failed when measured); the two-node e2e test rarely hits the window,
since two interpreters do not reach the migration within the same millisecond, and guards
the whole path (boot, migration, readiness) instead."""
from __future__ import annotations

import asyncio
import signal
import subprocess

import pytest

from tests.e2e.conftest import WippyProcess, free_port, make_project, wait_until
from tests.postgres.conftest import connect_args
from tests.postgres.test_tutorial_e2e import pg_overrides
from wippy.sql.postgres import PostgresDatabase
from wippy.sql.postgres_ddl import is_schema_change

MIGRATION = """
    -- the tutorial's table
    CREATE TABLE IF NOT EXISTS tasks (
        id TEXT PRIMARY KEY, payload TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
        result TEXT, created_at INTEGER NOT NULL, processed_at INTEGER)"""


@pytest.mark.parametrize("sql, expected", [
    ("CREATE TABLE t (a int)", True), ("  -- c\n/* x */ alter table t add b int", True),
    ("DROP INDEX IF EXISTS i", True), ("SELECT 1", False), ("INSERT INTO created VALUES (1)", False),
    ("created_at", False), ("CREATE_X", False),
])
def test_what_counts_as_a_schema_change(sql, expected):
    assert is_schema_change(sql) is expected


@pytest.mark.anyio
async def test_six_pools_create_the_same_table_at_once(postgres_server):
    for round_ in range(5):
        database = f"migrate_race_{round_}_{free_port()}"
        postgres_server.create_database(database)
        dbs = [PostgresDatabase("app:db", connect_args(postgres_server, database))
               for _ in range(6)]
        for db in dbs:
            await db.start()
        try:
            results = await asyncio.gather(*(db.execute(MIGRATION) for db in dbs),
                                           return_exceptions=True)
            assert [r for r in results if isinstance(r, BaseException)] == []
            # The lock was let go: a plain statement and another schema change still run.
            await dbs[0].execute("ALTER TABLE tasks ADD COLUMN IF NOT EXISTS node TEXT")
            assert len(await dbs[1].query("SELECT * FROM tasks")) == 0
        finally:
            for db in dbs:
                await db.stop()


@pytest.mark.e2e
def test_two_nodes_booting_at_once_on_a_fresh_database(tmp_path, postgres_server, pg_database):
    project = make_project(tmp_path)
    args = pg_overrides(postgres_server, pg_database)
    nodes = [WippyProcess(project, free_port(), args) for _ in range(2)]   # started together
    try:
        for node in nodes:
            node.wait_ready(30)
        for node in nodes:
            wait_until(lambda: "migration complete" in node.logs, 10,
                       message="the node's migration finished")
            assert "migration failed" not in node.logs, node.logs
        assert postgres_server.psql("SELECT count(*) FROM tasks", pg_database).strip() == "0"
    finally:
        for node in nodes:
            if node.proc.poll() is None:
                node.signal(signal.SIGTERM)
                try:
                    node.wait(20)
                except subprocess.TimeoutExpired:
                    node.kill()
