"""The Lua `hash` module: its host side (module.py)."""
