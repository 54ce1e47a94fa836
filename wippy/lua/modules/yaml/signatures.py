"""LuaLS signatures of the `yaml` module (docs/modules/yaml.md); wippy/lua/stubs reads them."""
SIGNATURES = """
encode(value: table, options?: {field_order?: string[]}): string?, error?
decode(text: string): any, error?
"""
