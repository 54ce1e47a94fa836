"""The `store` Lua module over both backends, through the real engine."""
from __future__ import annotations

import pytest

from wippy.errors import INVALID, NOT_FOUND, UNAVAILABLE
from wippy.lua.engine import LuaEngine
from wippy.lua.modules import MODULES
from wippy.sql import Database
from wippy.store import MemoryStore, SqlStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
async def run(tmp_path):
    db = Database("app:db", str(tmp_path / "app.db"))
    await db.start()
    await db.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at BIGINT)")
    objects = {"app:db": db, "app:cache": MemoryStore("app:cache", max_size=2),
               "app:kv": SqlStore("app:kv", db, "kv")}
    engine = LuaEngine(objects, modules=MODULES, workers=1)
    await engine.start()

    async def go(body, entry_id="app:fn"):
        fdef = engine.define(entry_id, "return {main = function()\n" + body + "\nend}", "main",
                             ["store"])
        return await engine.call(fdef)
    try:
        yield go
    finally:
        await engine.close()
        await db.stop()


USE = """
local s, err = store.get("{id}")
assert(s, err)
assert(s:set("user:1", {{name = "Alice", tags = {{"a"}}}}, 300))
local v = s:get("user:1")
local missing, merr = s:get("nope")
local e = s:entry("user:1")
local page = s:list({{prefix = "user:"}})
local has, hasnt = s:has("user:1"), s:has("nope")
local info = s:info()
local deleted, again = s:delete("user:1"), s:delete("user:1")
local released = s:release()
local _, rerr = s:get("user:1")
return v.name, v.tags[1], missing, merr:kind(), e.key, type(e.version), #page.items, has, hasnt,
       info.backend == store.backend.{backend}, deleted, again, released, rerr:kind(), rerr:message()
"""


@pytest.mark.parametrize("store_id, backend", [("app:cache", "MEMORY"), ("app:kv", "SQL")])
async def test_the_documented_methods(run, store_id, backend):
    r = await run(USE.format(id=store_id, backend=backend))
    assert r.values == ["Alice", "a", None, NOT_FOUND, "user:1", "string", 1, True, False, True,
                        True, False, True, INVALID, "store released"], r.error


async def test_bare_names_and_missing_stores(run):
    r = await run('local s = store.get("cache")\nlocal _, err = store.get("app:nope")\n'
                  'local _, err2 = store.get("")\nreturn tostring(s), err:kind(), err:message(), err2:kind()')
    assert r.values == ["store.Store", NOT_FOUND, "store app:nope not found", INVALID], r.error
    r = await run("return store.get(42)")
    assert r.raised and "bad argument #1 to 'get' (string expected, got number)" in r.error.message


async def test_errors_come_back_as_values(run):
    r = await run('local s = store.get("app:cache")\nassert(s:set("a", 1))\nassert(s:set("b", 1))\n'
                  'local ok, err = s:set("c", 1)\nlocal ok2, err2 = s:set("d", 1, -5)\n'
                  'return ok, err:kind(), err2:kind(), store.consistency.LOCAL, s:info().conditional_put')
    assert r.values == [None, UNAVAILABLE, INVALID, "local", True], r.error


async def test_state_outlives_the_call_in_the_store(run):
    assert (await run('return store.get("app:kv"):set("n", 41)')).values[0] is True
    r = await run('local s = store.get("app:kv")\nreturn s:get("n") + 1')
    assert r.values == [42]
