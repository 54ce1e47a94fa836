"""LuaLS signatures of the `ctx` module (docs/modules/ctx.md); wippy/lua/stubs reads them."""
SIGNATURES = """
get(key: string): any, error?
all(): table<string, any>
"""
