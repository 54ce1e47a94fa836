"""Leaf helpers shared by several packages: the one Go-duration parser (YAML config and Lua
agree), the one retry/restart backoff formula, fast uuid4 strings. They import nothing from
wippy, so any package can use them without an import cycle (docs/architecture.md)."""
