import pytest

from wippy.errors import ConfigErrors
from wippy.registry.graph import order
from wippy.registry.loader import load_entries
from wippy.registry.plan import prepare

from .host_helpers import make_kinds, write


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def plan_of(tmp_path, body: str, **kw):
    write(tmp_path / "src" / "defs.yaml", "namespace: app\nentries:\n" + body)
    return prepare(load_entries([tmp_path / "src"]), make_kinds(), **kw)


def errors_of(tmp_path, body: str, **kw):
    with pytest.raises(ConfigErrors) as info:
        plan_of(tmp_path, body, **kw)
    return [str(e) for e in info.value.errors]


REGISTRY = """
  - {name: worker, kind: test.service, needs: [tasks]}
  - {name: tasks, kind: test.resource, needs: [driver], size: 2}
  - {name: driver, kind: test.service}
  - {name: web, kind: test.service}
  - {name: api, kind: test.resource, service: web, size: 2}
  - {name: notes, kind: registry.entry, anything: [1, 2]}
  - {name: boot, kind: test.service, lifecycle: {requires: [driver, web]}}
"""


def test_build_order_is_topological_and_lexical_within_a_level(tmp_path):
    plan = plan_of(tmp_path, REGISTRY)
    assert plan.graph.levels == [
        ["app:driver", "app:notes", "app:web"],
        ["app:api", "app:boot", "app:tasks"],
        ["app:worker"],
    ]
    assert plan.order[0] == "app:driver"
    assert plan.graph.deps["app:boot"] == ["app:driver", "app:web"]
    assert plan.graph.dependents()["app:driver"] == ["app:boot", "app:tasks"]
    assert plan.configs["app:notes"] is None      # inert: stored as written
    assert plan.entries["app:notes"].data == {"anything": [1, 2]}


def test_dangling_reference_names_file_line_field_and_suggestion(tmp_path):
    got = errors_of(tmp_path, """
  - {name: worker, kind: test.service}
  - name: res
    kind: test.resource
    size: 2
    service: workr
    needs:
      - worker
      - app:wroker
""")
    assert got == [
        "src/defs.yaml:8: app:res: service -> app:workr not found (did you mean app:worker?)",
        "src/defs.yaml:11: app:res: needs[1] -> app:wroker not found (did you mean app:worker?)",
    ]


def test_reference_to_the_wrong_kind(tmp_path):
    got = errors_of(tmp_path, """
  - {name: a, kind: test.resource, size: 2}
  - {name: b, kind: test.resource, size: 2, service: a}
""")
    assert got == ["src/defs.yaml:5: app:b: service -> app:a is a test.resource, "
                   "expected test.service"]


def test_cycles_and_self_references_are_errors(tmp_path):
    got = errors_of(tmp_path, """
  - {name: a, kind: test.service, needs: [b]}
  - {name: b, kind: test.service, lifecycle: {requires: [c]}}
  - {name: c, kind: test.service, needs: [a]}
  - {name: d, kind: test.service}
""")
    assert got == ["src/defs.yaml:4: app:a: dependency cycle: app:a -> app:b -> app:c -> app:a "
                   "(break it by removing one reference or lifecycle.requires)"]
    got = errors_of(tmp_path, "  - {name: a, kind: test.service, needs: [a]}\n")
    assert got == ["src/defs.yaml:3: app:a: needs[0] -> app:a: an entry cannot depend on itself"]


def test_order_without_entries_ignores_unknown_targets():
    graph = order({"x:b": ["x:a", "x:zz"], "x:a": []})
    assert graph.levels == [["x:a"], ["x:b"]]


def test_unknown_kind_validation_and_lua_problems_all_at_once(tmp_path):
    from wippy.lua.engine import LuaEngine
    from wippy.lua.modules.base import LuaModule

    class Json(LuaModule):
        name = "json"

    class Sql(LuaModule):
        name = "sql"

    engine = LuaEngine({}, {"json": Json(), "sql": Sql()})  # never started: syntax checks only
    got = errors_of(tmp_path, """
  - {name: a, kind: test.servise}
  - {name: b, kind: test.resource, size: 3, sise: 1}
  - {name: c, kind: test.resource, size: 3}
  - name: f
    kind: test.lua
    method: main
    modules: [json, sqll]
    source: |
      local function main()
        return 1 +
      end
  - {name: g, kind: test.service, needs: [a]}
""", modules=engine.modules, check_source=engine.check_source)
    assert got == [
        "src/defs.yaml:4: app:a: kind: unknown kind 'test.servise' (did you mean test.service?)",
        "src/defs.yaml:5: app:b: sise: unknown field (did you mean size?); allowed: "
        "fail_build, needs, service, size, timeout",
        "src/defs.yaml:6: app:c: size: must be even",
        "src/defs.yaml:10: app:f: modules[1]: unknown module 'sqll' (did you mean sql?); "
        "available: json, sql",
        "src/defs.yaml:11: app:f: source: Lua syntax error: app:f:3:1: unexpected symbol near 'end'"
        " | end",
    ]


def test_kinds_table_covers_the_tutorial_and_refuses_duplicates():
    from wippy.kinds import CORE_KINDS, all_kinds, merge
    from wippy.registry.loader import load_entries as load
    from .test_loader import TUTORIAL

    kinds = all_kinds()
    assert {e.kind for e in load([TUTORIAL])} <= set(kinds)
    assert "registry.entry" in kinds
    with pytest.raises(ValueError, match="kind registry.entry is defined twice"):
        merge(CORE_KINDS, CORE_KINDS)


def test_tutorial_levels_match_the_reference_boot_timeline():
    # reference §5.8: the same three levels, lexical within each
    from wippy.registry.config import decode
    from wippy.registry.graph import check_references
    from wippy.kinds import all_kinds
    from .test_loader import TUTORIAL

    kinds = all_kinds()
    entries = {e.id: e for e in load_entries([TUTORIAL])}
    configs = {}
    for eid, entry in entries.items():
        configs[eid], problems = decode(entry, kinds[entry.kind].config)
        assert problems == []
    deps, problems = check_references(entries, configs, set(kinds))
    assert problems == []
    assert order(deps).levels == [
        ["app:create_task", "app:db", "app:gateway", "app:list_tasks", "app:migrate",
         "app:process_task", "app:processes", "app:queue_driver"],
        ["app:migrate-service", "app:router", "app:tasks_queue"],
        ["app:create_task.endpoint", "app:list_tasks.endpoint", "app:task_consumer"],
    ]
