import asyncio
import logging

import pytest

from wippy.errors import ConfigErrors
from wippy.logs import node_name
from wippy.registry.loader import load_entries
from wippy.runtime import Runtime

from . import host_helpers
from .host_helpers import JOURNAL, make_kinds, until, write

REGISTRY = """namespace: app
entries:
  - {name: db, kind: test.service, lifecycle: {auto_start: true}}
  - {name: tasks, kind: test.resource, needs: [db], size: 2}
  - {name: worker, kind: test.service, needs: [tasks], lifecycle: {auto_start: true}}
  - {name: web, kind: test.service, lifecycle: {auto_start: true}}
  - {name: spare, kind: test.service}
  - name: hello
    kind: test.lua
    method: main
    source: |
      local function main(name) return "hello " .. name end
      return {main = main}
"""


@pytest.fixture(autouse=True)
def clean(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    JOURNAL.clear()


def entries_of(tmp_path, text=REGISTRY):
    write(tmp_path / "src" / "defs.yaml", text)
    return load_entries([tmp_path / "src"])


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_runtime_builds_in_order_starts_serves_and_stops_in_reverse(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    entries = entries_of(tmp_path)

    async def main():
        async with Runtime(entries, kinds=make_kinds(), modules={}) as rt:
            builds = [e for e in JOURNAL if e.startswith("build")]
            assert builds == ["build app:db", "build app:spare", "build app:web",
                              "build app:tasks", "build app:worker"]
            assert JOURNAL.index("started app:db") < JOURNAL.index("start app:worker")
            assert {k: v["state"] for k, v in rt.status().items()} == {
                "app:db": "running", "app:spare": "idle", "app:web": "running",
                "app:worker": "running"}
            assert rt.objects["app:tasks"] == {"id": "app:tasks", "size": 2}
            result = await rt.engine.call(rt.objects["app:hello"], ("wippy",))
            assert result.error is None and result.values == ["hello wippy"]
            JOURNAL.clear()
        stops = [e for e in JOURNAL if e.startswith("stop")]
        assert stops.index("stop app:worker") < stops.index("stop app:db")
        assert stops[-1] == "stop app:spare"  # never started, but released after the rest
        assert rt.engine is None
    run(main())
    messages = [r.getMessage() for r in caplog.records]
    assert "runtime ready" in messages
    ready = next(r for r in caplog.records if r.getMessage() == "runtime ready")
    assert ready.fields == {"entries": 6, "services": 4, "node": node_name()}


def test_config_errors_start_nothing(tmp_path):
    entries = entries_of(tmp_path, "namespace: app\nentries:\n"
                                   "  - {name: a, kind: test.service, needs: [b]}\n"
                                   "  - {name: c, kind: test.resource, size: 3}\n")

    async def main():
        rt = Runtime(entries, kinds=make_kinds(), modules={})
        with pytest.raises(ConfigErrors) as info:
            await rt.start()
        assert [str(e) for e in info.value.errors] == [
            "src/defs.yaml:3: app:a: needs[0] -> app:b not found (did you mean app:c?)",
            "src/defs.yaml:4: app:c: size: must be even"]
        assert JOURNAL == [] and rt.engine is None
    run(main())


def test_failure_halfway_stops_what_was_started_and_names_the_entry(tmp_path):
    entries = entries_of(tmp_path, "namespace: app\nentries:\n"
                                   "  - {name: a, kind: test.service, lifecycle: {auto_start: true}}\n"
                                   "  - {name: z, kind: test.resource, needs: [a], fail_build: true}\n")

    async def main():
        rt = Runtime(entries, kinds=make_kinds(), modules={})
        with pytest.raises(ConfigErrors) as info:
            await rt.start()
        assert str(info.value) == "src/defs.yaml:4: app:z: cannot open app:z"
        assert JOURNAL == ["build app:a", "stop app:a"]   # built, never started, released
        assert rt.engine is None
    run(main())


def test_cancel_during_start_undoes_everything(tmp_path):
    entries = entries_of(tmp_path, "namespace: app\nentries:\n"
                                   "  - {name: a, kind: test.service, lifecycle: {auto_start: true}}\n"
                                   "  - {name: b, kind: test.service, fail_starts: 100, needs: [a],\n"
                                   "     lifecycle: {auto_start: true, restart: {initial_delay: 0s}}}\n")

    async def main():
        rt = Runtime(entries, kinds=make_kinds(), modules={})
        task = asyncio.create_task(rt.start())
        await until(lambda: JOURNAL.count("start app:b") >= 1)
        # start() returned: b failed once and retries in the background
        await task
        await until(lambda: JOURNAL.count("start app:b") >= 3)
        await rt.close()
        count = JOURNAL.count("start app:b")
        await asyncio.sleep(0.02)
        assert JOURNAL.count("start app:b") == count   # no retries after close
        assert JOURNAL[-1] == "stop app:a"
    run(main())


def test_signal_like_cancellation_while_starting(tmp_path):
    entries = entries_of(tmp_path, "namespace: app\nentries:\n"
                                   "  - {name: a, kind: test.service, lifecycle: {auto_start: true}}\n")
    gate = asyncio.Event  # a start() that never returns until cancelled

    async def main():
        rt = Runtime(entries, kinds=make_kinds(), modules={})
        original = host_helpers.RecordingService.start

        async def slow_start(self):
            await original(self)
            await gate().wait()
        host_helpers.RecordingService.start = slow_start
        try:
            task = asyncio.create_task(rt.start())
            await until(lambda: "started app:a" in JOURNAL)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        finally:
            host_helpers.RecordingService.start = original
        assert JOURNAL[-1] == "stop app:a" and rt.engine is None
    run(main())
