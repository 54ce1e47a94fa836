"""LuaLS signatures of the `hash` module (docs/modules/hash.md); wippy/lua/stubs reads them."""
SIGNATURES = """
md5(data: string, raw?: boolean): string?, error?
sha1(data: string, raw?: boolean): string?, error?
sha256(data: string, raw?: boolean): string?, error?
sha512(data: string, raw?: boolean): string?, error?
hmac_md5(data: string, secret: string, raw?: boolean): string?, error?
hmac_sha1(data: string, secret: string, raw?: boolean): string?, error?
hmac_sha256(data: string, secret: string, raw?: boolean): string?, error?
hmac_sha512(data: string, secret: string, raw?: boolean): string?, error?
fnv32(data: string): integer?, error?
fnv64(data: string): integer?, error?
pbkdf2(password: string, salt: string, iterations: integer, key_length: integer, hash?: "sha256"|"sha512"): string?, error?
"""
