"""db.sql.postgres's deprecated `<field>_env` siblings (Wippy docs, en/system/database.md):
resolved through env variables at build, as Go's resolveEnv does."""
from __future__ import annotations

import asyncio
import logging

import pytest

from tests.host_helpers import write
from wippy.errors import ConfigErrors
from wippy.kinds import all_kinds
from wippy.registry.loader import load_entries
from wippy.registry.plan import prepare
from wippy.runtime import Runtime

APP = """namespace: app
entries:
  - name: static
    kind: env.storage.static
    values: {{PG_HOST: "{host}", PG_PORT: "{port}", PG_DB: {database}, EMPTY: ""}}
  - {{name: pg_host, kind: env.variable, variable: PG_HOST, storage: static}}
  - {{name: pg_port, kind: env.variable, variable: PG_PORT, storage: static}}
  - {{name: pg_db, kind: env.variable, variable: PG_DB, storage: static}}
  - {{name: empty, kind: env.variable, variable: EMPTY, storage: static, default: ignored}}
  - name: db
    kind: db.sql.postgres
    host: wrong.invalid           # replaced: PG_HOST has a value
    host_env: PG_HOST
    port_env: app:pg_port         # by entry id
    database: nope
    database_env: PG_DB
    username: {user}
    username_env: NOT_DECLARED    # unknown: the inline username is kept, with a warning
    password: {password}
    password_env: EMPTY           # empty: inline kept (a variable's default is not used)
"""


def _app(tmp_path, server, database, text=APP):
    write(tmp_path / "src" / "_index.yaml", text.format(
        host=server.host, port=server.port, database=database, user=server.user,
        password=server.password))
    return load_entries([tmp_path / "src"])


def test_env_siblings_replace_the_inline_fields(tmp_path, monkeypatch, caplog, postgres_server,
                                                pg_database):
    monkeypatch.chdir(tmp_path)
    entries = _app(tmp_path, postgres_server, pg_database)

    async def go():
        async with Runtime(entries) as rt:
            db = rt.objects["app:db"]
            rows = await db.query("SELECT current_database() AS d, current_user AS u")
            return rows, db.connect, rt.plan.configs["app:db"]

    with caplog.at_level(logging.WARNING):
        rows, connect, cfg = asyncio.run(go())
    assert rows == [{"d": pg_database, "u": postgres_server.user}]
    assert (connect["host"], connect["port"]) == (postgres_server.host, postgres_server.port)
    assert cfg.host == "wrong.invalid"          # the plan keeps what was written
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("username_env: NOT_DECLARED is not a declared env.variable" in w for w in warnings)
    assert any("password_env: EMPTY has no value; the inline password is kept" in w
               for w in warnings)


def test_a_field_given_only_through_env_is_not_required_inline(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "src" / "_index.yaml", """namespace: app
entries:
  - {name: db, kind: db.sql.postgres, host: h, port: 5432, database: d, username: u,
     password_env: PG_PASSWORD}
  - {name: db2, kind: db.sql.postgres, host: h, port: 5432, database: d, username: u}
""")
    with pytest.raises(ConfigErrors) as exc:
        prepare(load_entries([tmp_path / "src"]), all_kinds())
    (only,) = [str(e) for e in exc.value.errors]
    assert "app:db2" in only and "password is required (inline or through password_env)" in only


def test_a_port_from_env_must_be_a_port(tmp_path, monkeypatch, postgres_server, pg_database):
    monkeypatch.chdir(tmp_path)
    entries = _app(tmp_path, postgres_server, pg_database,
                   APP.replace('PG_PORT: "{port}"', 'PG_PORT: "fifty"'))

    async def go():
        async with Runtime(entries):
            pass

    with pytest.raises(Exception, match=r"port_env: the value of app:pg_port \('fifty'\) is not a port"):
        asyncio.run(go())
