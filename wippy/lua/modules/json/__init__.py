"""The Lua `json` module: its host side (module.py), its Lua side and private helpers."""
