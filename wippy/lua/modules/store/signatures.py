"""LuaLS signatures of the `store` module (docs/modules/store.md); wippy/lua/stubs reads them."""
SIGNATURES = """
get(id: string): store.Store?, error?

class store.Store
  get(key: string): any, error?
  entry(key: string): {key: string, value: any, version: string}?, error?
  set(key: string, value: any, ttl?: number): boolean?, error?
  put(key: string, value: any, options?: {ttl?: number, only_if_absent?: boolean, if_version?: string}): {key: string, value: any, version: string}?, error?
  list(options?: {prefix?: string, after?: string, limit?: integer}): {items: table[], cursor: string?, has_more: boolean}?, error?
  has(key: string): boolean?, error?
  delete(key: string): boolean?, error?
  info(): table
  release(): boolean
"""
