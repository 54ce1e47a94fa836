"""The Lua `ctx` module: read the context values a caller passed with funcs."""
