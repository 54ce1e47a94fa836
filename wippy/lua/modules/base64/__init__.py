"""The Lua `base64` module: its host side (module.py)."""
