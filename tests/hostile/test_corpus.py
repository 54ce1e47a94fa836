"""The hostile Lua corpus (reliability plan cases 1-10) through the real engine.

Each `*.lua` file here is one attack. Its header says what it tries and how
it must end:

    -- attack: <what it tries>
    -- expect: error "<substring of the message>" | timeout | ok <JSON list of values>
                                   (several joined by " | ": any one may happen)
    -- modules: sql, json          (declared modules; default none)
    -- runs: 2                     (call it N times on the same engine; each must match)
    -- source: bytecode            (the entry source is this file compiled by string.dump)
    -- library: <alias> <file> [modules..]  (a library.lua entry imported as <alias>; its
                                   source is <file> under libs/; repeatable)
    -- xfail: <reason>             (a known gap: strict xfail until fixed)

`$TMP` in a file is replaced by the test's temp dir. Every file runs on its own
engine with every real module and a real SQLite database; afterwards the temp
dir holds only the database files, the `tasks` table is intact, the process is
alive, and the same engine still runs a fresh call and sees pristine libraries.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import time
from pathlib import Path

import lupa.lua54 as lupa
import pytest

from tests.lua_helpers import run_lua
from wippy.errors import TIMEOUT
from wippy.lua.engine import LuaEngine
from wippy.lua.modules import MODULES
from wippy.sql import Database

HERE = Path(__file__).parent
FILES = sorted(HERE.glob("*.lua"))
BUDGET = 1.0
SLACK = 1.0                     # a timeout must end within budget + this
DB_FILES = {"app.db", "app.db-wal", "app.db-shm"}
TASKS = 3
HEADER = re.compile(r"^-- (attack|expect|modules|runs|source|xfail|library): (.*)$")

# A different entry run after every attack: it must see untouched libraries,
# no leaked globals and working modules.
PROBE = """
return 1 + 1, ("a"):upper(), ("a"):rep(2), string.upper("b"), type(table.insert),
       type(math.floor), rawget(_G, "leaked"), leaked, type(print), type(coroutine.wrap),
       json.encode({1}), #uuid.v4(), string.find("abc", "b")
"""
PROBE_VALUES = [2, "A", "aa", "B", "function", "function", None, None, "function",
                "function", "[1]", 36, 2, 2]


def parse(path: Path) -> dict:
    spec = {"attack": None, "expect": None, "modules": "", "runs": "1", "source": "text",
            "xfail": None, "libraries": []}
    for line in path.read_text().splitlines():
        if not line.startswith("--"):
            break
        m = HEADER.match(line)
        if m and m.group(1) == "library":
            alias, file, *mods = m.group(2).split()
            spec["libraries"].append((alias, file, mods))
        elif m:
            spec[m.group(1)] = m.group(2).strip()
    assert spec["attack"] and spec["expect"], f"{path.name}: header needs attack and expect"
    spec["modules"] = [m.strip() for m in spec["modules"].split(",") if m.strip()]
    spec["runs"] = int(spec["runs"])
    return spec


def params():
    out = []
    for path in FILES:
        spec = parse(path)
        marks = [pytest.mark.xfail(strict=True, reason=spec["xfail"])] if spec["xfail"] else []
        out.append(pytest.param(path, spec, id=path.stem, marks=marks))
    return out


def bytecode(source: str) -> bytes:
    """Compile `source` with a separate plain Lua state: the attacker's binary chunk."""
    rt = lupa.LuaRuntime(register_eval=False, encoding=None)
    return rt.eval("function(src) return string.dump(assert(load(src))) end")(source.encode())


def check_outcome(name: str, expect: str, r, elapsed: float) -> None:
    """`expect` is one outcome, or alternatives joined by " | " (any may match)."""
    alternatives = expect.split(" | ")
    for alt in alternatives[:-1]:
        try:
            return check_one(name, alt, r, elapsed)
        except AssertionError:
            pass
    check_one(name, alternatives[-1], r, elapsed)


def check_one(name: str, expect: str, r, elapsed: float) -> None:
    if expect == "timeout":
        assert r.raised and r.error.kind == TIMEOUT, f"{name}: {r}"
        assert elapsed < BUDGET + SLACK, f"{name}: stopped after {elapsed:.2f}s"
        return
    kind, _, arg = expect.partition(" ")
    if kind == "error":
        want = json.loads(arg)
        assert r.raised or r.error is not None, f"{name}: expected an error, got {r.values}"
        assert want in r.error.message, f"{name}: {r.error.message!r}"
        assert elapsed < BUDGET + SLACK, f"{name}: took {elapsed:.2f}s"
    elif kind == "ok":
        assert not r.raised, f"{name}: {r.error}"
        assert r.values == json.loads(arg), name
    else:
        raise AssertionError(f"{name}: unknown expectation {expect!r}")


async def attack(path: Path, spec: dict, tmp: Path) -> None:
    db = Database("app:db", str(tmp / "app.db"))
    await db.start()
    engine = LuaEngine({"app:db": db}, modules=MODULES, workers=1, budget=BUDGET)
    await engine.start()
    try:
        await db.execute("CREATE TABLE tasks (id INTEGER PRIMARY KEY, title TEXT)")
        for i in range(TASKS):
            await db.execute("INSERT INTO tasks (title) VALUES (?)", [f"t{i}"])
        text = path.read_text().replace("$TMP", str(tmp))
        source = bytecode(text) if spec["source"] == "bytecode" else text
        imports = {alias: engine.library(f"hostile.lib:{alias}", (HERE / "libs" / file).read_text(),
                                         mods)
                   for alias, file, mods in spec["libraries"]}
        fdef = engine.define(f"hostile:{path.stem}", source, "", spec["modules"], imports=imports)
        for _ in range(spec["runs"]):
            t0 = time.monotonic()
            r = await engine.call(fdef)
            check_outcome(path.stem, spec["expect"], r, time.monotonic() - t0)

        # Nothing escaped: no files besides the database, data intact.
        assert set(os.listdir(tmp)) <= DB_FILES, sorted(os.listdir(tmp))
        rows = await db.query("SELECT count(*) AS n FROM tasks")
        assert rows == [{"n": TASKS}]
        # The engine still serves: a plain call, then a probe of the environment.
        r = await run_lua("return 1+1", method="", engine=engine, entry_id="hostile:next")
        assert r.values == [2], r
        r = await run_lua(PROBE, method="", modules=["json", "uuid"], engine=engine,
                          entry_id="hostile:probe")
        assert r.values == PROBE_VALUES, r
    finally:
        await engine.close()
        await db.stop()


@pytest.mark.parametrize("path,spec", params())
def test_attack(path, spec, tmp_path):
    pid = os.getpid()
    asyncio.run(attack(path, spec, tmp_path))
    assert os.getpid() == pid and not (tmp_path / "canary").exists()


def test_corpus_covers_the_plan():
    """Plan cases 1-10 each have attacks here (file name prefixes)."""
    stems = {p.stem for p in FILES}
    for prefix, at_least in [("escape_", 15), ("host_values", 1), ("bytecode_", 2),
                             ("poison_", 2), ("loop_", 5), ("mem_", 4), ("trap_", 3),
                             ("result_", 4), ("error_", 1), ("yield_", 3), ("sql_", 8)]:
        assert sum(s.startswith(prefix) for s in stems) >= at_least, prefix
