"""Parsing is cheap: a 100-entry app with typed sources loads (checked, compiled,
defined, workers started) in under a second, compiled chunks coming from the
per-source cache after the first compile."""
from __future__ import annotations

import asyncio
import time

from wippy.lua.typed import compiler
from wippy.registry.loader import load_entries
from wippy.runtime import Runtime

ENTRIES = 100
LIMIT = 1.0

TYPED = """local json = require("json")

type Address = {{street: string, city: string, zip: string @pattern("^%d+$")}}
type User{n} = {{
    id: integer @min(1),
    name: string @min_len(1) @max_len(100),
    email: string? @pattern("^[^@]+@[^@]+$"),
    tags: {{string}},
    meta: {{[string]: any}},
    address: Address?,
}}
type Event = {{kind: "created", user: User{n}}} | {{kind: "deleted", id: integer}}
type Result<T, E> = {{ok: true, value: T}} | {{ok: false, error: E}}

--- Validates a user and answers with a tagged result.
local function validate<T>(data: any, t: T): (T?, string?)
    local v, err = User{n}:is(data)
    if not v then return nil, tostring(err) end
    return v :: T, nil
end

local function summarize(users: {{User{n}}}): {{[string]: integer}}
    local counts: {{[string]: integer}} = {{}}
    for _, u: User{n} in ipairs(users) do
        for _, tag in ipairs(u.tags) do
            counts[tag] = (counts[tag] or 0) + 1
        end
    end
    return counts
end

local function handle(event: Event): string
    if event.kind == "created" then
        local user = (event :: any).user as User{n}
        return "created " .. user!.name
    end
    return "deleted " .. tostring((event :: any).id)
end

local function main(payload: any): (string?, string?)
    local user, err = validate(payload, User{n})
    if err then return nil, err end
    local summary = summarize({{user!}})
    return handle({{kind = "created", user = user}}) .. " " .. json.encode(summary), nil
end

return {{main = main}}
"""


def write_app(root, n: int) -> None:
    src = root / "src"
    src.mkdir()
    lines = ["version: \"1.0\"", "namespace: app", "entries:"]
    for i in range(n):
        (src / f"fn{i}.lua").write_text(TYPED.format(n=i))
        lines += [f"  - name: fn{i}", "    kind: function.lua", f"    source: file://fn{i}.lua",
                  "    method: main", "    modules: [json]"]
    (src / "_index.yaml").write_text("\n".join(lines) + "\n")


def test_a_100_entry_typed_app_loads_in_under_a_second(tmp_path, capsys):
    write_app(tmp_path, ENTRIES)
    compiler._cache.clear()

    # The aim is wall time on a machine to itself; the assert is on this process's CPU
    # time (all threads), which other work on a loaded machine does not inflate (2.3 s
    # of wall time seen at load 13 on 2 cores). Both are printed.
    async def load_and_call():
        start, cpu0 = time.perf_counter(), time.process_time()
        entries = load_entries([tmp_path / "src"])
        runtime = Runtime(entries)
        await runtime.start()
        loaded, load_cpu = time.perf_counter() - start, time.process_time() - cpu0
        try:
            fdef = runtime.objects["app:fn7"]
            result = await runtime.engine.call(fdef, ({"id": 1, "name": "ann", "tags": ["a", "b"],
                                                       "meta": {}},))
            bad = await runtime.engine.call(fdef, ({"id": 0, "name": "ann", "tags": [], "meta": {}},))
        finally:
            await runtime.close()
        return loaded, load_cpu, result, bad

    loaded, load_cpu, result, bad = asyncio.run(load_and_call())
    start = time.perf_counter()
    for i in range(ENTRIES):
        compiler._translate(TYPED.format(n=i))
    compile_all = time.perf_counter() - start
    with capsys.disabled():
        print(f"\n100 typed entries: loaded in {loaded * 1000:.0f} ms "
              f"({load_cpu * 1000:.0f} ms of CPU); "
              f"compiling all 100 sources alone takes {compile_all * 1000:.0f} ms")
    assert result.error is None and result.values[0] == 'created ann {"a":1,"b":1}'
    assert result.values[1] is None
    assert bad.values == [None, "id: must be >= 1, got 0"]
    assert load_cpu < LIMIT
