"""LuaLS signatures of the `logger` module (docs/modules/logger.md); wippy/lua/stubs reads them.
The module is a Logger: call its functions with a colon (`logger:info(...)`)."""
SIGNATURES = """
debug(self: logger, message: string, fields?: table)
info(self: logger, message: string, fields?: table)
warn(self: logger, message: string, fields?: table)
error(self: logger, message: string, fields?: table)
with(self: logger, fields: table): logger  -- a logger adding these fields to every record
named(self: logger, name: string): logger  -- a child logger: <entry>.<name>
"""
