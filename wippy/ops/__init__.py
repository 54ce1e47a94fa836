"""Operations: the metrics registry, the Lua metrics store and the health listener
(docs/operations.md)."""
