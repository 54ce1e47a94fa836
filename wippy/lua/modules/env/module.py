"""The Lua `env` module (docs/modules/env.md): read and write env variables.

    local env = require("env")
    local url, err = env.get("DATABASE_URL")   -- value | nil, err (NOT_FOUND, INVALID)
    local ok, err = env.set("MODE", "dev")     -- true | nil, err (PERMISSION_DENIED)
    local all, err = env.get_all()             -- {NAME = value, ...}

A key is a variable's public name or its entry id. The variables come from
the env.* entries (wippy/kinds/env.py); the runtime puts their EnvRegistry in
the call's objects. Storage access is a dict lookup or a small file read, so
it runs inside the host call, on the thread running the Lua state (the event loop's own
state by default), rather than awaiting the event loop.
"""
from __future__ import annotations

from importlib import resources
from typing import Any

from ....env import EnvRegistry
from ....kinds.env import REGISTRY_KEY
from ..base import LuaModule


def _registry(call: Any) -> EnvRegistry:
    registry = call.objects.get(REGISTRY_KEY)
    if registry is None:
        # Only outside a runtime (a bare engine in tests): nothing is declared.
        return EnvRegistry()
    return registry


class EnvModule(LuaModule):
    name = "env"
    effects = ("set",)
    lua = resources.files(__package__).joinpath("env.lua").read_text()

    def host_functions(self):
        def get(call, key):
            return _registry(call).get(key)

        def set_(call, key, value):
            _registry(call).set(key, value)
            return True

        def get_all(call):
            return call.to_lua(_registry(call).all())

        return {"get": get, "set": set_, "get_all": get_all}

