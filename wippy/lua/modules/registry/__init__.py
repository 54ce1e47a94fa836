"""The Lua `registry` module: entries, snapshots, versions, changes (module.py, registry.lua)."""
