"""Env entries in a real Runtime: a file storage created at start, written from Lua."""
from __future__ import annotations

import asyncio
import stat

from tests.host_helpers import write
from wippy.registry.loader import load_entries
from wippy.runtime import Runtime

APP = """namespace: app
entries:
  - {name: mem, kind: env.storage.memory}
  - name: file
    kind: env.storage.file
    file_path: ./state/app.env
    auto_create: true
    file_mode: 0600
  - {name: chain, kind: env.storage.router, storages: [file, mem]}
  - {name: mode, kind: env.variable, variable: MODE, storage: chain, default: dev}
  - {name: limit, kind: env.variable, variable: LIMIT, storage: mem, default: "7",
     readonly: true}
  - name: counter
    kind: function.lua
    source: file://counter.lua
    method: main
    modules: [env]
"""
COUNTER = """local env = require("env")
return {main = function()
    local before = env.get("MODE")
    local ok = env.set("MODE", "prod")
    local _, err = env.set("LIMIT", "8")
    return before, ok, env.get("app:mode"), env.get("LIMIT"), err:kind()
end}
"""


def test_file_storage_through_the_lua_module(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "src" / "_index.yaml", APP)
    write(tmp_path / "src" / "counter.lua", COUNTER)
    entries = load_entries([tmp_path / "src"])

    async def go():
        async with Runtime(entries) as rt:
            env_file = tmp_path / "state" / "app.env"
            assert env_file.exists() and stat.S_IMODE(env_file.stat().st_mode) == 0o600
            assert rt.plan.order.index("app:chain") < rt.plan.order.index("app:mode")
            result = await rt.engine.call(rt.objects["app:counter"])
            assert result.error is None, result.error
            return result.values, env_file.read_text()

    values, text = asyncio.run(go())
    assert values == ["dev", True, "prod", "7", "PermissionDenied"]
    assert text == "MODE=prod\n"      # the router writes to its first storage
