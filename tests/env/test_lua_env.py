"""The Lua `env` module against a real engine: Wippy's return shapes and error kinds."""
from __future__ import annotations

import asyncio

from tests.lua_helpers import run_lua
from wippy.env import EnvRegistry, MemoryStorage, StaticStorage, Variable
from wippy.kinds.env import REGISTRY_KEY


def _env() -> EnvRegistry:
    env = EnvRegistry()
    env.add_storage("app:mem", MemoryStorage())
    env.add_storage("app:static", StaticStorage({"API_HOST": "https://api.example"}))
    env.add_variable(Variable("app:host", "app:static", "API_HOST"))
    env.add_variable(Variable("app:mode", "app:mem", "MODE", default="dev"))
    env.add_variable(Variable("app:locked", "app:mem", "LOCKED", readonly=True))
    return env


def _run(body: str, env: EnvRegistry | None = None):
    source = "local env = require('env')\nlocal errors = require('errors')\n" \
             "return {main = function()\n" + body + "\nend}"
    objects = {REGISTRY_KEY: env} if env is not None else {}
    return asyncio.run(run_lua(source, modules=["env", "errors"], objects=objects))


def test_get_set_get_all():
    env = _env()
    result = _run("""
        local host, err = env.get("API_HOST")
        local by_id = env.get("app:host")
        local mode = env.get("MODE")
        local ok, set_err = env.set("MODE", "prod")
        local all = env.get_all()
        return host, err, by_id, mode, ok, set_err, env.get("MODE"), all.MODE, all.API_HOST
    """, env)
    assert not result.raised, result.error
    assert result.values == ["https://api.example", None, "https://api.example", "dev", True,
                             None, "prod", "prod", "https://api.example"]
    assert env.get("app:mode") == "prod"


def test_errors_have_documented_kinds():
    result = _run("""
        local v1, e1 = env.get("NOPE")
        local v2, e2 = env.get("")
        local ok3, e3 = env.set("LOCKED", "x")
        local ok4, e4 = env.set("API_HOST", "x")
        return v1, e1:kind() == errors.NOT_FOUND, e2:kind() == errors.INVALID,
               ok3, e3:kind() == errors.PERMISSION_DENIED, e4:kind() == errors.PERMISSION_DENIED,
               e1:retryable()
    """, _env())
    assert not result.raised, result.error
    assert result.values == [None, True, True, None, True, True, False]


def test_wrong_argument_types_raise_like_wippy():
    result = _run("return env.get({})", _env())
    assert result.raised and "bad argument #1 to 'get' (string expected, got table)" \
        in result.error.message


def test_no_env_entries_means_not_found():
    result = _run("local v, err = env.get('X'); return v, err:kind() == errors.NOT_FOUND")
    assert result.values == [None, True]
