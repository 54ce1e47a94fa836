"""The Lua `http_client` module: module.py (host side), http_client.lua, options.py
(request options), policy.py (where handlers may connect), transport.py (aiohttp)."""
