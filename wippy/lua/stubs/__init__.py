"""LuaLS type stubs (`---@meta` files) and `.luarc.json` for the Lua modules.

The function list comes from the module tables themselves (walk.py builds every
module in a real Lua state and lists what it holds); types come from each module's
`signatures.py`, next to its code (signatures.py here parses them). So a module
function always gets a stub, typed when its module declares it (docs/development.md).
"""
