"""The Lua `env` module: its host side (module.py) and its Lua side (env.lua)."""
