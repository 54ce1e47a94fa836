"""LuaLS signatures of the `crypto` module (docs/modules/crypto.md); wippy/lua/stubs reads them."""
SIGNATURES = """
random.bytes(n: integer): string?, error?
random.string(n: integer, charset?: string): string?, error?
random.uuid(): string?, error?
hmac.sha256(key: string, data: string): string?, error?
hmac.sha512(key: string, data: string): string?, error?
encrypt.aes(data: string, key: string, aad?: string): string?, error?
encrypt.chacha20(data: string, key: string, aad?: string): string?, error?
decrypt.aes(blob: string, key: string, aad?: string): string?, error?
decrypt.chacha20(blob: string, key: string, aad?: string): string?, error?
jwt.encode(payload: table, key: string, alg?: string): string?, error?
jwt.verify(token: string, key: string, alg?: string, require_exp?: boolean): table?, error?
pbkdf2(password: string, salt: string, iterations: integer, key_length: integer, hash?: "sha256"|"sha512"): string?, error?
constant_time_compare(a: string, b: string): boolean
"""
