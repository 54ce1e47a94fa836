"""Fields Wippy's examples write that Wippy accepts and ignores (its entry decoding is
lenient): `lifecycle` on queue.queue, `read_only` on env.variable. They load here too,
change nothing, and read_only says so in a warning; a misspelling is still an error."""
from __future__ import annotations

import asyncio
import logging

import pytest

from tests.host_helpers import write
from wippy.errors import ConfigErrors
from wippy.registry.loader import load_entries
from wippy.runtime import Runtime

APP = """namespace: app
entries:
  - {name: mem, kind: env.storage.memory}
  - {name: version, kind: env.variable, variable: VERSION, storage: mem, default: "1.0",
     read_only: true}
  - {name: driver, kind: queue.driver.memory, lifecycle: {auto_start: true}}
  - name: jobs
    kind: queue.queue
    driver: app:driver
    lifecycle: {auto_start: true}
  - name: setter
    kind: function.lua
    source: file://setter.lua
    method: main
    modules: [env]
"""
SETTER = """local env = require("env")
return {main = function() local ok, err = env.set("VERSION", "2.0"); return ok, env.get("VERSION") end}
"""


def test_queue_lifecycle_and_env_read_only_load_and_change_nothing(tmp_path, caplog):
    write(tmp_path / "src" / "_index.yaml", APP)
    write(tmp_path / "src" / "setter.lua", SETTER)
    entries = load_entries([tmp_path / "src"])

    async def go():
        async with Runtime(entries) as rt:
            assert "app:jobs" not in rt.supervisor.status()   # not a service
            assert "app:driver" in rt.supervisor.status()
            result = await rt.engine.call(rt.objects["app:setter"])
            return result.values[:2]
    with caplog.at_level(logging.WARNING, logger="wippy.env"):
        ok, value = asyncio.run(go())
    assert ok is True and value == "2.0"        # as in Wippy: read_only protects nothing
    assert any("read_only is not an env.variable field" in r.getMessage()
               and "readonly: true" in r.getMessage() for r in caplog.records)


def test_a_misspelt_field_is_still_refused(tmp_path):
    write(tmp_path / "src" / "_index.yaml", APP.replace("read_only: true", "read_olny: true"))
    write(tmp_path / "src" / "setter.lua", SETTER)
    entries = load_entries([tmp_path / "src"])

    async def go():
        async with Runtime(entries):
            pass
    with pytest.raises(ConfigErrors) as info:
        asyncio.run(go())
    assert "read_olny" in str(info.value.errors[0])
