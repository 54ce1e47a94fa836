"""The Lua `funcs` module: call other function entries (module.py host side, funcs.lua)."""
