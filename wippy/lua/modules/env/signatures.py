"""LuaLS signatures of the `env` module (docs/modules/env.md); wippy/lua/stubs reads them."""
SIGNATURES = """
get(key: string): string?, error?
set(key: string, value: string): boolean?, error?
get_all(): table<string, string>?, error?
"""
