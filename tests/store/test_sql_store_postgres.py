"""store.sql on a db.sql.postgres entry in a real Runtime, used from Lua (the same
statements as on SQLite, with numbered placeholders)."""
from __future__ import annotations

import asyncio

from tests.host_helpers import write
from wippy.registry.loader import load_entries
from wippy.runtime import Runtime

APP = """namespace: app
entries:
  - {{name: db, kind: db.sql.postgres, host: "{host}", port: {port}, database: {database},
     username: {user}, password: {password}}}
  - {{name: kv, kind: store.sql, database: db, table_name: kv_store}}
  - {{name: use, kind: function.lua, source: file://use.lua, method: main, modules: [store]}}
"""
USE = """local store = require("store")
return {main = function()
    local kv = store.get("app:kv")
    local ok = kv:set("user:1", {name = "Alice", tags = {"a", "b"}}, 60)
    kv:set("gone", 1, 0.001)
    local user = kv:get("user:1")
    local page = kv:list({prefix = "user:"})
    local _, err = kv:put("user:1", 2, {only_if_absent = true})
    return {ok, user.name, user.tags[2], kv:has("user:1"), #page.items, err:kind(),
            kv:delete("user:1"), kv:has("user:1")}
end}
"""


def test_store_sql_on_postgres_from_lua(tmp_path, monkeypatch, postgres_server, pg_database):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "src" / "_index.yaml", APP.format(
        host=postgres_server.host, port=postgres_server.port, database=pg_database,
        user=postgres_server.user, password=postgres_server.password))
    write(tmp_path / "src" / "use.lua", USE)
    entries = load_entries([tmp_path / "src"])

    async def go():
        async with Runtime(entries) as rt:
            kv = rt.objects["app:kv"]
            await rt.objects["app:db"].execute(kv.create_statement())
            assert "BYTEA" in kv.create_statement()
            result = await rt.engine.call(rt.objects["app:use"])
            assert result.error is None, result.error
            rows = await rt.objects["app:db"].query("SELECT key FROM kv_store ORDER BY key")
            return result.values[0], rows

    values, rows = asyncio.run(go())
    assert values == [True, "Alice", "b", True, 1, "Invalid", True, False]
    assert rows == [{"key": "gone"}]      # expired, invisible, kept until a cleanup
