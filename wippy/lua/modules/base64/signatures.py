"""LuaLS signatures of the `base64` module (docs/modules/base64.md); wippy/lua/stubs reads them."""
SIGNATURES = """
encode(data: string): string?, error?
decode(data: string): string?, error?
"""
