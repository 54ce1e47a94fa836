"""Wippy's typed Lua (en/lua/types.md): parser, compiler to plain Lua, type runtime."""
from .compiler import compile
from .errors import TypedLuaSyntaxError

__all__ = ["compile", "TypedLuaSyntaxError"]
