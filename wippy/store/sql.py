"""`store.sql`: a key-value table in a SQL database entry (docs/kinds/store.md).

The table is the user's (Wippy: "create the table before use"); a missing table is
reported with the statement that creates it. Expiry is `expires_at` in Unix
milliseconds (NULL = never): every read filters on it, so an expired key is invisible
the moment it expires; the periodic cleanup (`cleanup_interval`, 0 = off) deletes the
rows. Statements stay within SQL that SQLite and PostgreSQL share (`ON CONFLICT … DO
UPDATE`, `substr`), with `?` placeholders for `db.sql.sqlite` and `$1`, `$2`, ... for
`db.sql.postgres`.
Conditional writes are not supported on SQL stores, as documented.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from typing import Any

from ..errors import INTERNAL, WippyError
from .base import (Store, StoreError, check_key, check_ttl, check_value, decode, encode, entry,
                   invalid, list_options, not_found, page, put_options)

log = logging.getLogger("wippy.store")

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
TABLE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$")


def now_ms() -> int:
    return int(time.time() * 1000)


def _version(blob: bytes) -> str:
    """SQL rows carry no version: the content's hash serves as one (changes when it does)."""
    return hashlib.sha256(blob).hexdigest()[:16]


def _numbered(sql: str) -> str:
    """`?` placeholders as `$1`, `$2`, ... (the statements hold no other `?`)."""
    parts = sql.split("?")
    return parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], 1))


class SqlStore(Store):
    sync = False
    backend = "sql"
    consistency = "linearizable"
    durable = True

    def __init__(self, entry_id: str, db: Any, table: str, key_col: str = "key",
                 value_col: str = "value", expire_col: str = "expires_at",
                 cleanup_interval: float = 0.0):
        super().__init__(entry_id)
        self.db = db
        self.table, self.key_col, self.value_col, self.expire_col = (
            table, key_col, value_col, expire_col)
        self.cleanup_interval = cleanup_interval
        self._task: asyncio.Task | None = None
        t, k, v, e = table, key_col, value_col, expire_col
        alive = f"({e} IS NULL OR {e} > ?)"
        self._get = f"SELECT {v} AS v FROM {t} WHERE {k} = ? AND {alive}"
        self._has = f"SELECT 1 AS x FROM {t} WHERE {k} = ? AND {alive}"
        self._set = (f"INSERT INTO {t} ({k}, {v}, {e}) VALUES (?, ?, ?) ON CONFLICT ({k}) "
                     f"DO UPDATE SET {v} = excluded.{v}, {e} = excluded.{e}")
        self._delete = f"DELETE FROM {t} WHERE {k} = ? AND {alive}"
        self._delete_dead = f"DELETE FROM {t} WHERE {k} = ?"
        self._list = (f"SELECT {k} AS k, {v} AS v FROM {t} WHERE substr({k}, 1, ?) = ? "
                      f"AND {k} > ? AND {alive} ORDER BY {k} LIMIT ?")
        self._cleanup = f"DELETE FROM {t} WHERE {e} IS NOT NULL AND {e} <= ?"
        if self.postgres:       # PostgreSQL numbers its placeholders: $1, $2, ...
            for name in ("_get", "_has", "_set", "_delete", "_delete_dead", "_list", "_cleanup"):
                setattr(self, name, _numbered(getattr(self, name)))

    @property
    def postgres(self) -> bool:
        return getattr(self.db, "type", None) == "postgres"

    def create_statement(self) -> str:
        return (f"CREATE TABLE {self.table} ({self.key_col} VARCHAR(255) PRIMARY KEY, "
                f"{self.value_col} {'BYTEA' if self.postgres else 'BLOB'} NOT NULL, "
                f"{self.expire_col} BIGINT)")

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self.cleanup_interval > 0 and self._task is None:
            self._task = asyncio.ensure_future(self._cleanup_loop())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _cleanup_loop(self) -> None:
        while True:
            await asyncio.sleep(self.cleanup_interval)
            try:
                r = await self.db.execute(self._cleanup, [now_ms()])
                if r.get("rows_affected"):
                    log.debug("store %s: %d expired rows removed", self.entry_id,
                              r["rows_affected"])
            except WippyError as exc:   # the database is down or the table missing: next time
                log.warning("store %s: cleanup failed: %s", self.entry_id, exc.message)

    # ------------------------------------------------------------ statements
    def _explain(self, exc: WippyError) -> WippyError:
        if "no such table" in exc.message or "does not exist" in exc.message:
            return StoreError(f"store {self.entry_id}: table {self.table} does not exist in "
                              f"{self.db.entry_id}; create it first: {self.create_statement()}",
                              INTERNAL, retryable=False)
        if "no such column" in exc.message or "has no column" in exc.message:
            return StoreError(f"store {self.entry_id}: table {self.table} lacks a configured "
                              f"column ({exc.message}); expected {self.key_col}, "
                              f"{self.value_col}, {self.expire_col}", INTERNAL, retryable=False)
        return exc

    async def _query(self, sql: str, params: list) -> list[dict]:
        try:
            return await self.db.query(sql, params)
        except WippyError as exc:
            raise self._explain(exc) from None

    async def _execute(self, sql: str, params: list) -> dict:
        try:
            return await self.db.execute(sql, params)
        except WippyError as exc:
            raise self._explain(exc) from None

    # ------------------------------------------------------------ operations
    async def get(self, key: Any) -> Any:
        key = check_key(key)
        rows = await self._query(self._get, [key, now_ms()])
        if not rows:
            raise not_found(key)
        return decode(rows[0]["v"])

    async def entry(self, key: Any) -> dict:
        key = check_key(key)
        rows = await self._query(self._get, [key, now_ms()])
        if not rows:
            raise not_found(key)
        raw = rows[0]["v"]
        blob = raw if isinstance(raw, bytes) else str(raw).encode()
        return entry(key, decode(raw), _version(blob))

    async def _write(self, key: str, value: Any, ttl: float) -> bytes:
        blob = encode(check_value(value))
        expires = now_ms() + int(ttl * 1000) if ttl else None
        await self._execute(self._set, [key, blob, expires])
        return blob

    async def set(self, key: Any, value: Any, ttl: Any = None) -> bool:
        await self._write(check_key(key), value, check_ttl(ttl))
        return True

    async def put(self, key: Any, value: Any, opts: Any = None) -> dict:
        key = check_key(key)
        ttl, absent, if_version = put_options(opts)
        if absent or if_version is not None:
            raise invalid(f"store {self.entry_id} (store.sql) does not support conditional "
                          "writes (only_if_absent, if_version)")
        blob = await self._write(key, value, ttl)
        return entry(key, value, _version(blob))

    async def has(self, key: Any) -> bool:
        key = check_key(key)
        return bool(await self._query(self._has, [key, now_ms()]))

    async def delete(self, key: Any) -> bool:
        key = check_key(key)
        r = await self._execute(self._delete, [key, now_ms()])
        if not r.get("rows_affected"):
            await self._execute(self._delete_dead, [key])   # an expired row: gone too, says false
            return False
        return True

    async def list(self, opts: Any = None) -> dict:
        prefix, after, limit = list_options(opts)
        rows = await self._query(self._list, [len(prefix), prefix, after or "", now_ms(),
                                              limit + 1])
        items = []
        for row in rows[:limit]:
            raw = row["v"]
            blob = raw if isinstance(raw, bytes) else str(raw).encode()
            items.append(entry(row["k"], decode(raw), _version(blob)))
        return page(items, len(rows) > limit)
