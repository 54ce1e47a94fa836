"""Key-value stores with TTL (`store.memory`, `store.sql`), used from Lua by the `store`
module (docs/kinds/store.md, docs/modules/store.md). One backend per file."""
from .base import Store, StoreError
from .memory import MemoryStore
from .sql import SqlStore

__all__ = ["Store", "StoreError", "MemoryStore", "SqlStore"]
