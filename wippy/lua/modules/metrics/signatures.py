"""LuaLS signatures of the `metrics` module (docs/modules/metrics.md); wippy/lua/stubs reads them."""
SIGNATURES = """
counter_inc(name: string, labels?: table<string, string>): boolean?, error?
counter_add(name: string, value: number, labels?: table<string, string>): boolean?, error?
gauge_set(name: string, value: number, labels?: table<string, string>): boolean?, error?
gauge_inc(name: string, labels?: table<string, string>): boolean?, error?
gauge_dec(name: string, labels?: table<string, string>): boolean?, error?
histogram(name: string, value: number, labels?: table<string, string>): boolean?, error?
"""
