"""The Lua `crypto` module: its host side (module.py), AEAD ciphers (aead.py) and JWT (jwt.py)."""
