"""LuaLS signatures of the `json` module (docs/modules/json.md); wippy/lua/stubs reads them."""
SIGNATURES = """
encode(value: any): string?, error?
decode(text: string): any, error?
validate(schema: table|string, value: any): boolean, error?  -- JSON Schema validation
validate_string(schema: table|string, text: string): boolean, error?
"""
