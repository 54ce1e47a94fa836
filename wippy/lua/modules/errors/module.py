"""The `errors` global table (present in every Lua environment, no `modules:` entry needed)."""
from __future__ import annotations

from importlib import resources

from ..base import LuaModule


class ErrorsModule(LuaModule):
    name = "errors"
    effects = ()  # pure: re-running it changes nothing
    global_ = True   # the engine injects it into every environment
    lua = resources.files(__package__).joinpath("errors.lua").read_text()
