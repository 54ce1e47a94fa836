"""The Lua `yaml` module: its host side (module.py) and the safe codec (codec.py)."""
