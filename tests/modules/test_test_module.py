"""The Lua `test` module on the real engine: assertions, hooks, mocks, results."""
from __future__ import annotations

import pytest

from tests.lua_helpers import run_lua
from wippy.lua.engine import LuaEngine
from wippy.lua.modules.test.module import EVENTS


async def run_suite(body: str, modules=("test",)) -> tuple[dict, list[dict]]:
    source = ('local test = require("test")\n'
              f"local function define()\n{body}\nend\n"
              "return { run = test.run_cases(define) }\n")
    events: list[dict] = []
    engine = LuaEngine({}, workers=1)
    await engine.start()
    try:
        fdef = engine.define("t:suite", source, "run", list(modules))
        result = await engine.call(fdef, [], extras={EVENTS: events})
    finally:
        await engine.close()
    assert result.error is None, result.error
    return result.values[0], events


def by_name(events):
    return {e["name"]: e for e in events}


@pytest.mark.anyio
async def test_assertion_messages():
    result, events = await run_suite('''
        test.it("eq tables", function() test.eq({a = {1, 2}}, {a = {1, 3}}) end)
        test.it("eq deep ok", function() test.eq({a = {1, 2}}, {a = {1, 2}}) end)
        test.it("with msg", function() test.ok(false, "the flag") end)
        test.it("contains", function() test.contains("hello", "xyz") end)
        test.it("contains non-string", function() test.contains(5, "5") end)
        test.it("len", function() test.len({1, 2}, 3) end)
        test.it("gt", function() test.gt("a", 1) end)
        test.it("fail", function() test.fail() end)
        test.it("is_nil", function() test.is_nil("x") end)
        test.it("no_error", function() test.no_error(nil, "disk full") end)
        test.it("throws", function() test.throws(function() end) end)
        test.it("type guard", function() test.is_number("3") end)
    ''')
    cases = by_name(events)
    assert cases["eq deep ok"]["status"] == "passed"
    msg = {name: c.get("error") for name, c in cases.items()}
    assert msg["eq tables"] == 't:suite:4: expected {a = {1, 3}}, got {a = {1, 2}}'
    assert msg["with msg"] == "t:suite:6: the flag: expected a truthy value, got false"
    assert msg["contains"] == 't:suite:7: expected "hello" to contain "xyz"'
    assert msg["contains non-string"] == "t:suite:8: expected a string, got number 5"
    assert msg["len"] == "t:suite:9: expected length 3, got 2"
    assert msg["gt"] == "t:suite:10: expected two numbers, got string and number"
    assert msg["fail"] == "t:suite:11: test failed"
    assert msg["is_nil"] == 't:suite:12: expected nil, got "x"'
    assert msg["no_error"] == "t:suite:13: unexpected error: disk full"
    assert msg["throws"] == "t:suite:14: expected an error, none was raised"
    assert msg["type guard"] == 't:suite:15: expected a number, got string "3"'
    assert (result["total_tests"], result["passed_tests"], result["failed_tests"]) == (12, 1, 11)


@pytest.mark.anyio
async def test_failing_before_all_fails_its_cases_and_after_all_is_reported():
    _, events = await run_suite('''
        test.describe("broken setup", function()
            test.before_all(function() error("no database") end)
            test.after_all(function() error("never runs") end)
            test.it("a", function() end)
            test.it_skip("b", function() end)
        end)
        test.describe("broken teardown", function()
            test.after_all(function() error("cleanup failed") end)
            test.it("c", function() end)
        end)
    ''')
    got = [(e["suite"], e["name"], e["status"], e.get("error")) for e in events]
    assert got[0][:3] == ("broken setup", "a", "failed") and "before_all:" in got[0][3]
    assert "no database" in got[0][3]
    assert got[1][:3] == ("broken setup", "b", "skipped")
    assert got[2][:3] == ("broken teardown", "c", "passed")
    assert got[3][:3] == ("broken teardown", "after_all", "failed") and "cleanup failed" in got[3][3]
    assert len(got) == 4


@pytest.mark.anyio
async def test_mocks_nested_frozen_tables_and_plain_tables_and_restore():
    result, events = await run_suite('''
        counter = {n = 1}
        local real_select = sql.builder.select
        test.it("mocks a nested module function", function()
            test.mock("sql.builder.select", function() return "mocked" end)
            test.eq(sql.builder.select("x"), "mocked")
            test.is_function(sql.get)             -- the rest of the module is still there
            test.mock("counter.n", 99)
            test.eq(counter.n, 99)
            test.restore_mock("counter.n")
            test.eq(counter.n, 1)
            test.mock("counter.n", 7)
        end)
        test.it("is restored after the case", function()
            test.eq(sql.builder.select, real_select)
            test.eq(counter.n, 1)
        end)
        test.it("cannot mock through a non-table", function()
            test.mock("counter.n.x", 1)
        end)
    ''', modules=("test", "sql"))
    cases = by_name(events)
    assert cases["mocks a nested module function"]["status"] == "passed", cases
    assert cases["is restored after the case"]["status"] == "passed", cases
    assert "counter.n is not a table" in cases["cannot mock through a non-table"]["error"]
    assert result["failed_tests"] == 1


@pytest.mark.anyio
async def test_misuse_outside_a_run_is_a_clear_error():
    r = await run_lua('local test = require("test")\n'
                      'return { main = function() test.it("x", function() end) end }',
                      modules=["test"])
    assert r.error is not None
    assert "test.it: call it inside the function given to test.run_cases" in r.error.message
    r = await run_lua('local test = require("test")\n'
                      'return { main = function() test.mock("uuid.v4", 1) end }',
                      modules=["test"])
    assert "test.mock: call it inside a test case" in r.error.message


@pytest.mark.anyio
async def test_results_without_a_runner_are_returned():
    r = await run_lua('local test = require("test")\n'
                      'local run = test.run_cases(function()\n'
                      '  test.spec("s", function() test.context("c", function()\n'
                      '    test.it("ok", function() test.ok(true) end) end) end)\n'
                      'end)\n'
                      'return { main = function() return run() end }', modules=["test"])
    assert r.error is None
    result = r.values[0]
    assert result["passed_tests"] == 1 and result["tests"][0]["suite"] == "s > c"
