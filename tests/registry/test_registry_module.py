"""The Lua `registry` module on a real runtime (real kinds, engine, supervisor): reads,
filters, snapshots and versions, and changes that take effect (a created function can
be called, a process service starts, restarts and stops) or are refused whole."""
from __future__ import annotations

import asyncio
import textwrap

from wippy.registry.loader import load_entries
from wippy.runtime import Runtime
from tests.polling import wait_until

REGISTRY = """\
namespace: app
entries:
  - name: kv
    kind: store.memory
  - name: processes
    kind: process.host
    lifecycle: {auto_start: true}
  - name: tool.calc
    kind: registry.entry
    meta: {type: tool, title: Calculator, tags: [math, basic]}
  - name: tool.search
    kind: registry.entry
    meta: {type: tool, title: Search}
  - name: job.beat
    kind: function.lua
    meta: {type: cron.job, interval: 1s}
    method: run
    source: |
      return { run = function() return "beat" end }
"""


MODULES = ["registry", "funcs", "store", "time"]
PRELUDE = "".join(f"local {m} = require('{m}')\n" for m in MODULES) + "local function main()\n"


def run(tmp_path, body):
    """Start the runtime on REGISTRY, run `body(call)`; call(lua) runs Lua in app:lua."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "_index.yaml").write_text(REGISTRY)
    entries = load_entries([src])

    async def main():
        async with Runtime(entries) as rt:
            async def call(code):
                fdef = rt.engine.define("test:snippet", PRELUDE + textwrap.dedent(code)
                                        + "\nend\nreturn { main = main }", "main", MODULES)
                result = await rt.engine.call(fdef)
                assert result.error is None, result.error
                return result.values[0] if result.values else None
            return await body(rt, call)
    return asyncio.run(asyncio.wait_for(main(), 30))


def test_get_find_parse_id_and_errors(tmp_path):
    async def body(rt, call):
        got = await call("""
            local e = registry.get("app:tool.calc")
            local missing, err = registry.get("app:nope")
            local id = registry.parse_id("app.lib:assert")
            local bare = registry.parse_id("assert")
            local function ids(filter)
                local list, e = registry.find(filter)
                if e then return tostring(e) end
                local out = {}
                for _, x in ipairs(list) do out[#out + 1] = x.id end
                return table.concat(out, ",")
            end
            return {
                id = e.id, kind = e.kind, title = e.meta.title,
                missing = missing == nil, err_kind = err:kind(), err = tostring(err),
                ns = id.ns, name = id.name, bare_ns = bare.ns, bare_name = bare.name,
                tools = ids({["meta.type"] = "tool"}),
                kind = ids({[".kind"] = "registry.entry"}),
                bare_kind = ids({kind = "function.lua"}),
                short_type = ids({type = "cron.job"}),
                nested = ids({meta = {type = "tool", title = "Search"}}),
                tags = ids({["meta.tags"] = {"math"}}),
                regex = ids({["~meta.title"] = "^S.*h$"}),
                prefix = ids({["^meta.title"] = "Calc"}),
                glob = ids({[".name"] = "tool.*", [".ns"] = "app"}),
                none = ids({["meta.type"] = "nothing"}),
                bad_regex = ids({["~meta.title"] = "("}),
            }
        """)
        return got
    got = run(tmp_path, body)
    assert got["id"] == "app:tool.calc" and got["title"] == "Calculator"
    assert got["missing"] and got["err_kind"] == "NotFound"
    assert got["err"] == "entry not found: app:nope"
    assert (got["ns"], got["name"], got["bare_ns"], got["bare_name"]) == (
        "app.lib", "assert", "", "assert")
    assert got["tools"] == "app:tool.calc,app:tool.search"
    assert got["kind"] == "app:tool.calc,app:tool.search"
    assert got["bare_kind"] == "app:job.beat"
    assert got["short_type"] == "app:job.beat"
    assert got["nested"] == "app:tool.search"
    assert got["tags"] == "app:tool.calc"
    assert got["regex"] == "app:tool.search"
    assert got["prefix"] == "app:tool.calc"
    assert got["glob"] == "app:tool.calc,app:tool.search"
    assert got["none"] == ""
    assert "invalid regular expression" in got["bad_regex"]


def test_created_function_is_callable_and_versions_move(tmp_path):
    async def body(rt, call):
        return await call("""
            local snap = registry.snapshot()
            local v0 = snap:version()
            local changes = snap:changes()
            local same = changes:create({
                id = "app:double", kind = "function.lua", meta = {type = "made"},
                data = {source = "return { run = function(x) return x * 2 end }", method = "run"},
            })
            local ops = changes:ops()
            local v1, err = changes:apply()
            assert(err == nil, tostring(err))
            local value, call_err = funcs.call("app:double", 21)
            local cur = registry.current_version()
            local hist = registry.history()
            local got_v1 = hist:get_version(1)
            local at1 = registry.snapshot_at(1)
            local at0, at0_err = registry.snapshot_at(0)
            local at9, at9_err = registry.snapshot_at(9)
            local neg, neg_err = hist:get_version(-1)
            local versions = registry.versions()
            local empty, empty_err = registry.snapshot():changes():apply()
            return {
                same = same == changes, op_kind = ops[1].kind, op_id = ops[1].entry.id,
                v0 = v0:string(), v0_id = v0:id(), v1 = v1:string(), value = value,
                call_err = call_err and tostring(call_err),
                cur = cur:id(), prev = v1:previous():id(), next = v0:next():id(),
                first_prev = v0:previous() == nil, got_v1 = got_v1:string(),
                in_v1 = at1:get("app:double").meta.type,
                old_snap_missing = select(2, snap:get("app:double")):kind(),
                at0 = at0 == nil and at0_err:kind(), at9 = at9 == nil and at9_err:kind(),
                neg = neg == nil and neg_err:kind(), n_versions = #versions,
                empty = empty == nil and tostring(empty_err), empty_kind = empty_err:kind(),
                tostr = tostring(v1), snap_str = tostring(at1),
                ns_count = #at1:namespace("app"), entries = #at1:entries(),
                history_snap = hist:snapshot_at(v0):version():string(),
            }
        """)
    got = run(tmp_path, body)
    assert got["same"] and got["op_kind"] == "entry.create" and got["op_id"] == "app:double"
    assert (got["v0"], got["v0_id"], got["v1"]) == ("v0", 0, "v1")
    assert got["value"] == 42 and "call_err" not in got
    assert (got["cur"], got["prev"], got["next"], got["first_prev"]) == (1, 0, 1, True)
    assert got["got_v1"] == "v1" and got["in_v1"] == "made"
    assert got["old_snap_missing"] == "NotFound"        # a snapshot is a point in time
    assert (got["at0"], got["at9"], got["neg"]) == ("Invalid", "NotFound", "Invalid")
    assert got["n_versions"] == 2
    assert got["empty"] == "no changes to apply" and got["empty_kind"] == "Invalid"
    assert got["tostr"] == "registry.Version{v1}"
    assert got["snap_str"] == "registry.Snapshot{version=v1}"
    assert got["ns_count"] == got["entries"] == 6
    assert got["history_snap"] == "v0"


def test_bad_changes_are_refused_whole_and_change_nothing(tmp_path):
    async def body(rt, call):
        got = await call("""
            local function try(build)
                local changes = registry.snapshot():changes()
                build(changes)
                local v, err = changes:apply()
                return {ok = v ~= nil, kind = err and err:kind(), msg = err and tostring(err)}
            end
            local out = {}
            out.syntax = try(function(c)
                c:create({id = "app:fine", kind = "function.lua",
                          data = {source = "return { run = function() return 1 end }", method = "run"}})
                c:create({id = "app:broken", kind = "function.lua",
                          data = {source = "return { run = function( end", method = "run"}})
            end)
            out.exists = try(function(c) c:create({id = "app:kv", kind = "store.memory"}) end)
            out.kind_change = try(function(c) c:update({id = "app:kv", kind = "registry.entry"}) end)
            out.missing = try(function(c) c:delete("app:nothing") end)
            out.dangling = try(function(c)
                c:create({id = "app:svc", kind = "process.service",
                          data = {process = "app:nowhere", host = "app:processes"}})
            end)
            out.unknown_kind = try(function(c) c:create({id = "app:x", kind = "function.lau"}) end)
            out.bad_field = try(function(c)
                c:create({id = "app:y", kind = "store.memory", data = {max_sise = 3}})
            end)
            local no_id, no_id_err = registry.snapshot():changes():create({kind = "x"})
            out.no_id = no_id == nil and no_id_err:kind()
            local bad_del, bad_del_err = registry.snapshot():changes():delete(5)
            out.bad_delete = bad_del == nil and bad_del_err:kind()
            out.version = registry.current_version():id()
            out.fine = select(2, registry.get("app:fine")):kind()
            return out
        """)
        return got, "app:fine" in rt.objects, "app:processes" in rt.objects
    got, fine_built, host_kept = run(tmp_path, body)
    assert got["syntax"]["kind"] == "Invalid" and not got["syntax"]["ok"]
    assert "app:broken" in got["syntax"]["msg"] and "Lua syntax error" in got["syntax"]["msg"]
    assert "already exists" in got["exists"]["msg"]
    assert "cannot make it a registry.entry" in got["kind_change"]["msg"]
    assert "app:nothing does not exist" in got["missing"]["msg"]
    assert "app:nowhere not found" in got["dangling"]["msg"]
    assert "did you mean function.lua" in got["unknown_kind"]["msg"]
    assert "max_sise" in got["bad_field"]["msg"] and "did you mean" in got["bad_field"]["msg"]
    assert got["no_id"] == "Invalid" and got["bad_delete"] == "Invalid"
    assert got["version"] == 0                       # nothing was applied
    assert got["fine"] == "NotFound" and not fine_built and host_kept


SERVICE = """
    local changes = registry.snapshot():changes()
    changes:{op}({{
        id = "app:writer", kind = "process.lua", data = {{
            method = "main", modules = {{"store"}},
            source = "local store = require('store')\\n"
                  .. "local function main(v) store.get('app:kv'):set('seen', v) "
                  .. "  while true do coroutine.yield() end end\\n"
                  .. "return {{ main = main }}",
        }},
    }})
    changes:{op}({{
        id = "app:writer.service", kind = "process.service",
        data = {{process = "app:writer", host = "app:processes", input = {{"{value}"}},
                lifecycle = {{auto_start = true}}}},
    }})
    local v, err = changes:apply()
    assert(err == nil, tostring(err))
    return v:id()
"""


def test_services_start_restart_and_stop_through_the_supervisor(tmp_path):
    async def body(rt, call):
        kv = rt.objects["app:kv"]
        seen = lambda: kv.sync and kv.get("seen")  # noqa: E731
        await call(SERVICE.format(op="create", value="one"))
        await wait_until(lambda: rt.status().get("app:writer.service", {}).get("state")
                         == "running" and seen() == "one", 5, "the created service wrote one")
        first = rt.objects["app:writer.service"]
        # The created process.lua can be spawned as well.
        pid = await call('return process.spawn("app:writer", "app:processes", "spawned")')
        assert isinstance(pid, str) and pid
        await wait_until(lambda: seen() == "spawned", 5, "the spawned process wrote")
        await call(SERVICE.format(op="update", value="two"))
        await wait_until(lambda: seen() == "two", 5, "the updated service wrote two")
        assert rt.objects["app:writer.service"] is not first
        assert first.proc is None                         # the old process was stopped
        assert rt.status()["app:writer.service"]["state"] == "running"
        await call("""
            local changes = registry.snapshot():changes()
            changes:delete("app:writer.service")
            changes:delete({ns = "app", name = "writer"})
            return changes:apply():id()
        """)
        assert "app:writer.service" not in rt.status()
        assert "app:writer" not in rt.objects
        # Back to v1 (service writing "one"): apply_version rebuilds and restarts it.
        ok = await call("""
            local ok, err = registry.apply_version(registry.history():get_version(1))
            assert(err == nil, tostring(err))
            return ok
        """)
        assert ok is True
        await wait_until(lambda: seen() == "one", 5, "apply_version(v1) restarted the service")
        return await call("return registry.current_version():id() .. '/' .. #registry.versions()")
    assert run(tmp_path, body) == "1/4"


def test_build_delta_lists_creates_updates_deletes(tmp_path):
    async def body(rt, call):
        return await call("""
            local from = {{id = "t:a", kind = "k", meta = {}, data = {}},
                          {id = "t:b", kind = "k", meta = {x = 1}, data = {}},
                          {id = "t:c", kind = "k", meta = {}, data = {}}}
            local to = {{id = "t:b", kind = "k", meta = {x = 2}, data = {}},
                        {id = "t:c", kind = "k", meta = {}, data = {}},
                        {id = "t:d", kind = "k", meta = {}, data = {}}}
            local out = {}
            for _, op in ipairs(registry.build_delta(from, to)) do
                out[#out + 1] = op.kind .. " " .. op.entry.id
            end
            local _, err = registry.build_delta("x", to)
            out[#out + 1] = err:kind()
            return table.concat(out, ",")
        """)
    assert run(tmp_path, body) == ("entry.delete t:a,entry.update t:b,entry.create t:d,Invalid")
