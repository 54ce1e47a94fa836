"""store.memory / store.sql entries: config checks and a real Runtime."""
from __future__ import annotations

import asyncio

import pytest

from wippy.errors import ConfigErrors
from wippy.registry.loader import load_entries
from wippy.runtime import Runtime, check
from wippy.store import MemoryStore, SqlStore


def entries(tmp_path, text):
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "defs.yaml").write_text(text)
    return load_entries([tmp_path / "src"])


def test_bad_store_config_names_file_line_and_field(tmp_path):
    with pytest.raises(ConfigErrors) as info:
        check(entries(tmp_path, """namespace: app
entries:
  - {name: f, kind: function.lua, source: "return {}", method: main}
  - name: kv
    kind: store.sql
    database: f
    table_name: "kv; DROP TABLE x"
    payload_column_name: "value-1"
  - {name: kv2, kind: store.sql, table_name: kv}
  - {name: mem, kind: store.memory, max_size: -1, cleanup_interval: soon}
"""))
    text = str(info.value)
    assert "app:kv: table_name: 'kv; DROP TABLE x' is not a plain table name" in text, text
    assert "payload_column_name: 'value-1' is not a plain column name" in text, text
    assert "app:kv2: database: database is required" in text, text
    assert "max_size: must be at least 0" in text and "cleanup_interval" in text, text


def test_database_must_be_a_sql_entry(tmp_path):
    with pytest.raises(ConfigErrors) as info:
        check(entries(tmp_path, """namespace: app
entries:
  - {name: f, kind: function.lua, source: "return {}", method: main}
  - {name: kv, kind: store.sql, database: f, table_name: kv}
"""))
    assert "database -> app:f is a function.lua, expected db.sql.*" in str(info.value)


def test_runtime_builds_and_runs_both_stores(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    es = entries(tmp_path, """namespace: app
entries:
  - {name: db, kind: db.sql.sqlite, file: ./data/app.db, lifecycle: {auto_start: true}}
  - {name: cache, kind: store.memory, max_size: 0, lifecycle: {auto_start: true}}
  - {name: kv, kind: store.sql, database: db, table_name: kv_store, cleanup_interval: 1m,
     lifecycle: {auto_start: true}}
""")

    async def main():
        async with Runtime(es) as rt:
            cache, kv = rt.objects["app:cache"], rt.objects["app:kv"]
            assert isinstance(cache, MemoryStore) and cache.max_size == 10_000
            assert isinstance(kv, SqlStore) and kv.cleanup_interval == 60.0
            assert rt.status()["app:kv"]["state"] == "running", rt.status()
    asyncio.run(main())
