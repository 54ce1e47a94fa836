"""Run one SQL test on both drivers: SQLite (a file) and PostgreSQL (the session's server).

The `db_driver` fixture (tests/sql/conftest.py) hands a test a `Driver`. The tests write
their SQL in SQLite's dialect, as they always have; on PostgreSQL the driver passes raw SQL
through unchanged (`?` would be a syntax error, docs/kinds/sql.md), so the test harness, not
the driver, rewrites what it sends: `?` -> `$1, $2 ...` and, in CREATE TABLE, the SQLite
column types to PostgreSQL's. On SQLite nothing is rewritten or wrapped: those runs are
byte for byte the tests they were before.
"""
from __future__ import annotations

import contextlib
import re
from typing import Any

from wippy.sql import Database, Settings
from wippy.sql.postgres import PostgresDatabase

_DDL_TYPES = [(re.compile(r"\bINTEGER PRIMARY KEY\b", re.I), "bigserial PRIMARY KEY"),
              (re.compile(r"\bINTEGER\b", re.I), "bigint"),
              (re.compile(r"\bREAL\b", re.I), "double precision"),
              (re.compile(r"\bBLOB\b", re.I), "bytea"),
              (re.compile(r"\bDATETIME\b", re.I), "timestamptz")]
_LITERAL_OR_MARK = re.compile(r"'(?:[^']|'')*'|\?")
_SQL_HEAD = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE)\b", re.I)
_LUA_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def to_postgres(sql: str) -> str:
    """SQLite-dialect test SQL -> PostgreSQL: numbered placeholders outside literals,
    and PostgreSQL column types in CREATE TABLE."""
    counter = iter(range(1, 10_000))
    sql = _LITERAL_OR_MARK.sub(lambda m: m.group(0) if m.group(0) != "?" else f"${next(counter)}",
                               sql)
    if re.match(r"\s*CREATE\s+TABLE\b", sql, re.I):
        for pattern, replacement in _DDL_TYPES:
            sql = pattern.sub(replacement, sql)
    return sql


def lua_to_postgres(src: str) -> str:
    """The same rewrite for SQL statements written as double-quoted strings in Lua source.
    Builder fragments (`"a = ?"`) do not start with a statement keyword and are left alone:
    run_with() numbers those itself on PostgreSQL."""
    def one(m: re.Match) -> str:
        body = m.group(1)
        return f'"{to_postgres(body)}"' if _SQL_HEAD.match(body) else m.group(0)
    return _LUA_STRING.sub(one, src)


class Rewriting:
    """A PostgresDatabase or PostgresTransaction seen through to_postgres()."""

    def __init__(self, target: Any):
        self._target = target

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)

    async def query(self, sql: str, params: Any = None, **kw: Any) -> list:
        return await self._target.query(to_postgres(sql), params, **kw)

    async def execute(self, sql: str, params: Any = None, **kw: Any) -> dict:
        return await self._target.execute(to_postgres(sql), params, **kw)

    async def prepare(self, sql: str) -> Any:
        return await self._target.prepare(to_postgres(sql))

    async def begin(self, *args: Any, **kw: Any) -> "Rewriting":
        return Rewriting(await self._target.begin(*args, **kw))

    async def __aenter__(self) -> "Rewriting":
        await self._target.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._target.__aexit__(*exc)


class Driver:
    """One driver for one test: `name`, fresh databases, and the SQL/Lua rewrites."""

    def __init__(self, name: str, tmp_path: Any, server: Any = None, database: str = ""):
        self.name = name
        self.tmp_path = tmp_path
        self.server = server
        self.database = database

    def __repr__(self) -> str:
        return self.name

    def new(self, entry_id: str = "app:db", file: str = "app.db",
            max_rows: int | None = None) -> Any:
        """An unstarted database object (what a Lua engine is given)."""
        if self.name == "sqlite":
            settings = Settings(max_rows=max_rows) if max_rows else Settings()
            return Database(entry_id, str(self.tmp_path / file), settings)
        s = self.server
        return PostgresDatabase(entry_id, {"host": s.host, "port": s.port, "user": s.user,
                                           "password": s.password, "database": self.database},
                                **({"max_rows": max_rows} if max_rows else {}))

    def wrap(self, db: Any) -> Any:
        """What a test talks to from Python: the database itself on SQLite."""
        return db if self.name == "sqlite" else Rewriting(db)

    def lua(self, src: str) -> str:
        return src if self.name == "sqlite" else lua_to_postgres(src)

    @contextlib.asynccontextmanager
    async def open(self, **kw: Any):
        """`async with db_driver.open() as db:` started, stopped afterwards."""
        db = self.new(**kw)
        await db.start()
        try:
            yield self.wrap(db)
        finally:
            await db.stop()

    def pick(self, sqlite: Any, postgres: Any) -> Any:
        """The documented per-driver value (docs/kinds/sql.md "Differences from SQLite")."""
        return sqlite if self.name == "sqlite" else postgres
