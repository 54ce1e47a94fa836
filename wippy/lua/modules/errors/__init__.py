"""The Lua `errors` module: its host side (module.py), its Lua side and private helpers."""
