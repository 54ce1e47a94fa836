"""`store.memory` and `store.sql`: key-value stores with TTL (docs/kinds/store.md).

    - name: cache
      kind: store.memory
      max_size: 10000          # live keys; a new key beyond it is rejected
      cleanup_interval: 5m
    - name: kv
      kind: store.sql
      database: app:db         # a db.sql.* entry
      table_name: kv_store     # created by the application
"""
from __future__ import annotations

from dataclasses import dataclass

from ..registry.config import Lifecycle, spec
from ..registry.entry import Entry
from ..store.memory import MemoryStore
from ..store.sql import IDENTIFIER, TABLE, SqlStore
from .base import BuildContext, Kind

DEFAULT_MAX_SIZE = 10_000


@dataclass
class MemoryStoreConfig:
    max_size: int = spec(DEFAULT_MAX_SIZE, min=0, doc="maximum live entries; 0 = the default")
    cleanup_interval: float = spec(300.0, duration=True, min=0,
                                   doc="how often expired entries are removed; 0 = never")
    lifecycle: Lifecycle = spec(default_factory=Lifecycle)


class MemoryStoreKind(Kind):
    name = "store.memory"
    config = MemoryStoreConfig
    summary = "In-memory key-value store with TTL and a size bound; lost on restart."

    def build(self, entry: Entry, cfg: MemoryStoreConfig, ctx: BuildContext) -> MemoryStore:
        # As in Wippy, 0 means the default, not "unbounded".
        return MemoryStore(entry.id, cfg.max_size or DEFAULT_MAX_SIZE, cfg.cleanup_interval)


@dataclass
class SqlStoreConfig:
    database: str = spec(required=True, ref="db.sql.", doc="the database entry")
    table_name: str = spec(required=True, doc="the table (created by the application)")
    id_column_name: str = spec("key")
    payload_column_name: str = spec("value")
    expire_column_name: str = spec("expires_at")
    cleanup_interval: float = spec(0.0, duration=True, min=0,
                                   doc="how often expired rows are deleted; 0 = never")
    lifecycle: Lifecycle = spec(default_factory=Lifecycle)


class SqlStoreKind(Kind):
    name = "store.sql"
    config = SqlStoreConfig
    summary = "Key-value store in a SQL table, with TTL."

    def validate(self, entry: Entry, cfg: SqlStoreConfig) -> list[tuple[str, str]]:
        # Names go into SQL text: only plain identifiers (no quoting, no injection).
        problems = []
        if cfg.table_name and not TABLE.match(cfg.table_name):
            problems.append(("table_name", f"{cfg.table_name!r} is not a plain table name "
                             "(letters, digits, _; optionally schema.table)"))
        for field in ("id_column_name", "payload_column_name", "expire_column_name"):
            value = getattr(cfg, field)
            if value is not None and not IDENTIFIER.match(value):
                problems.append((field, f"{value!r} is not a plain column name "
                                 "(letters, digits, _)"))
        names = [cfg.id_column_name, cfg.payload_column_name, cfg.expire_column_name]
        if len(set(names)) != len(names):
            problems.append(("id_column_name", "the key, payload and expire columns must differ"))
        return problems

    def build(self, entry: Entry, cfg: SqlStoreConfig, ctx: BuildContext) -> SqlStore:
        db = ctx.get(cfg.database)
        if not callable(getattr(db, "query", None)) or not callable(getattr(db, "execute", None)):
            raise LookupError(f"database -> {cfg.database} is not a SQL database")
        return SqlStore(entry.id, db, cfg.table_name, cfg.id_column_name,
                        cfg.payload_column_name, cfg.expire_column_name, cfg.cleanup_interval)


KINDS: list[Kind] = [MemoryStoreKind(), SqlStoreKind()]
