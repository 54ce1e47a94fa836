"""store.sql on a real SQLite database file and on a real PostgreSQL (tests/postgres_server.py)."""
from __future__ import annotations

import asyncio
import time

import pytest

from wippy.errors import INTERNAL, INVALID, NOT_FOUND, WippyError
from wippy.sql import Database
from wippy.store import SqlStore

pytestmark = pytest.mark.anyio

CREATE = "CREATE TABLE kv_store (key VARCHAR(255) PRIMARY KEY, value BLOB NOT NULL, expires_at BIGINT)"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request, tmp_path):
    if request.param == "sqlite":
        d = Database("app:db", str(tmp_path / "app.db"))
    else:       # the same statements on db.sql.postgres (skipped when it is not installed)
        from tests.postgres.conftest import connect_args
        from wippy.sql.postgres import PostgresDatabase
        server = request.getfixturevalue("postgres_server")
        d = PostgresDatabase("app:db", connect_args(server,
                                                    request.getfixturevalue("pg_database")))
    await d.start()
    await d.execute(CREATE if request.param == "sqlite" else CREATE.replace("BLOB", "BYTEA"))
    try:
        yield d
    finally:
        await d.stop()


async def kind_of(coro):
    with pytest.raises(WippyError) as info:
        await coro
    return info.value


async def test_set_get_has_delete_persist_in_the_table(db):
    s = SqlStore("app:kv", db, "kv_store")
    assert await s.set("user:1", {"name": "Alice", "n": 1, "f": 1.5, "ok": True}) is True
    assert await s.get("user:1") == {"name": "Alice", "n": 1, "f": 1.5, "ok": True}
    assert await s.has("user:1") and not await s.has("user:2")
    rows = await db.query("SELECT key, expires_at FROM kv_store")
    assert rows == [{"key": "user:1"}]           # no TTL: NULL expires_at
    await s.set("user:1", "replaced", 60)
    assert await s.get("user:1") == "replaced"
    rows = await db.query("SELECT expires_at FROM kv_store")
    assert abs(rows[0]["expires_at"] - (time.time() + 60) * 1000) < 5000   # Unix ms
    assert await s.delete("user:1") is True and await s.delete("user:1") is False
    assert (await kind_of(s.get("user:1"))).kind == NOT_FOUND


async def test_expired_rows_are_invisible_at_once(db):
    s = SqlStore("app:kv", db, "kv_store")
    await s.set("k", "v", 0.05)
    assert await s.get("k") == "v"
    deadline = time.monotonic() + 5
    while await s.has("k"):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    assert (await kind_of(s.get("k"))).kind == NOT_FOUND
    assert (await s.list())["items"] == []
    # The row is still there until cleanup; a delete of the expired key says false.
    assert len(await db.query("SELECT key FROM kv_store")) == 1
    assert await s.delete("k") is False
    assert await db.query("SELECT key FROM kv_store") == []


async def test_cleanup_deletes_expired_rows(db):
    s = SqlStore("app:kv", db, "kv_store", cleanup_interval=0.02)
    await s.start()
    try:
        await s.set("short", 1, 0.01)
        await s.set("long", 1, 60)
        deadline = time.monotonic() + 5
        while len(await db.query("SELECT key FROM kv_store")) != 1:
            assert time.monotonic() < deadline, "cleanup never ran"
            await asyncio.sleep(0.01)
    finally:
        await s.stop()


async def test_list_entry_and_put(db):
    s = SqlStore("app:kv", db, "kv_store")
    for k in ["s:c", "s:a", "t:x", "s:b"]:
        await s.set(k, k)
    page = await s.list({"prefix": "s:", "limit": 2})
    assert [e["key"] for e in page["items"]] == ["s:a", "s:b"] and page["has_more"]
    page = await s.list({"prefix": "s:", "after": page["cursor"]})
    assert [e["key"] for e in page["items"]] == ["s:c"] and not page["has_more"]
    e = await s.entry("s:a")
    assert e["value"] == "s:a" and isinstance(e["version"], str)
    e2 = await s.put("s:a", "new")
    assert e2["version"] != e["version"] and (await s.entry("s:a"))["version"] == e2["version"]
    err = await kind_of(s.put("s:a", 1, {"only_if_absent": True}))
    assert err.kind == INVALID and "does not support conditional writes" in err.message
    assert s.info()["conditional_put"] is False and s.info()["backend"] == "sql"


async def test_custom_columns(db):
    blob = "BYTEA" if type(db).__name__ == "PostgresDatabase" else "BLOB"
    await db.execute(f"CREATE TABLE cache (id TEXT PRIMARY KEY, payload {blob} NOT NULL, exp BIGINT)")
    s = SqlStore("app:kv", db, "cache", "id", "payload", "exp")
    await s.set("a", [1, 2], 30)
    assert await s.get("a") == [1, 2]
    assert (await db.query("SELECT id FROM cache")) == [{"id": "a"}]


async def test_a_missing_table_says_how_to_create_it(db):
    s = SqlStore("app:kv", db, "nope")
    err = await kind_of(s.set("k", 1))
    assert err.kind == INTERNAL
    assert "table nope does not exist in app:db; create it first: CREATE TABLE nope" in err.message
