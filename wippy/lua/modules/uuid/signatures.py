"""LuaLS signatures of the `uuid` module (docs/modules/uuid.md); wippy/lua/stubs reads them."""
SIGNATURES = """
v1(): string?, error?  -- time-based UUID
v3(namespace: string, name: string): string?, error?  -- MD5 name-based UUID
v4(): string?, error?  -- random UUID
v5(namespace: string, name: string): string?, error?  -- SHA-1 name-based UUID
v7(): string?, error?  -- time-ordered UUID
validate(value: any): boolean
version(id: string): integer?, error?
variant(id: string): string?, error?
parse(id: string): {version: integer, variant: string, timestamp?: integer, node?: string}?, error?
format(id: string, style?: "standard"|"simple"|"urn"): string?, error?
"""
