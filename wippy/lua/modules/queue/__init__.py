"""The Lua `queue` module: its host side (module.py), its Lua side and private helpers."""
