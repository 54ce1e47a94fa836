"""The Lua `store` module: key-value stores by entry id (module.py host side, store.lua)."""
