from pathlib import Path

import pytest

from wippy.errors import ConfigErrors
from wippy.registry.loader import definition_files, load_dir, load_entries
from wippy.registry.overrides import apply_overrides, coerce, parse_override

from .host_helpers import write

TUTORIAL = Path(__file__).resolve().parent.parent / "examples" / "task-queue" / "src"


def load(root):
    return {e.id: e for e in load_entries([root])}


def problems(root):
    with pytest.raises(ConfigErrors) as info:
        load_entries([root])
    return [str(e) for e in info.value.errors]


def test_tutorial_registry():
    entries = load(TUTORIAL)
    assert len(entries) == 14
    migrate = entries["app:migrate"]
    assert migrate.kind == "process.lua"
    assert migrate.data["source"] == (TUTORIAL / "migrate.lua").read_text()
    assert migrate.data["modules"] == ["sql", "logger"]
    assert entries["app:create_task.endpoint"].meta == {"router": "app:router"}
    consumer = entries["app:task_consumer"]
    assert consumer.data["concurrency"] == 2
    assert consumer.origin.file.endswith("_index.yaml") and consumer.origin.line == 107
    assert consumer.field_lines["data.queue"] == 109
    assert consumer.field_lines["data.lifecycle.auto_start"] == 114
    assert entries["app:router"].field_lines["meta.server"] == 34
    assert migrate.field_lines["data.modules[1]"] == 43


def test_discovery_order_and_skips(tmp_path):
    for name in ("b.yaml", "a/z.yml", "a/b.json", "c.txt", "node_modules/x.yaml", "a.yaml"):
        write(tmp_path / name, "namespace: x\nentries: []\n")
    found = [p.relative_to(tmp_path).as_posix() for p in definition_files(tmp_path)]
    assert found == ["a/b.json", "a/z.yml", "a.yaml", "b.yaml"]


def test_files_without_namespace_are_not_definitions(tmp_path):
    write(tmp_path / "package.json", '{"name": "x", "version": "1.0"}')
    write(tmp_path / "tsconfig.json", '{ // comments are not JSON\n "a": 1 }')
    write(tmp_path / "blank.yaml", "namespace: '  '\nentries: [{name: a, kind: k}]\n")
    write(tmp_path / "list.yaml", "- 1\n- 2\n")
    write(tmp_path / "empty.yaml", "")
    assert load_entries([tmp_path]) == []


def test_entry_shapes_and_meta_merge(tmp_path):
    write(tmp_path / "defs.yaml", """
version: "1.0"
namespace: app.api
meta: {team: core, tier: 1}
entries:
  - name: flat
    kind: test.resource
    meta: {tier: 2}
    size: 4
    nested: {deep: [1, 2]}
  - name: explicit
    kind: test.resource
    data:
      size: 6
    size: ignored
  - name: odd:name.with-dots
    kind: registry.entry
""")
    write(tmp_path / "single.yml", "namespace: solo\nname: one\nkind: test.resource\nsize: 2\n"
                                   "version: '1'\nmeta: {a: b}\n")
    write(tmp_path / "defs.json", '{\n\t"namespace": "j",\n\t"entries": [{"name": "x", "kind": "k", "v": 1}]\n}')
    entries = load(tmp_path)
    flat = entries["app.api:flat"]
    assert flat.meta == {"team": "core", "tier": 2}
    assert flat.data == {"size": 4, "nested": {"deep": [1, 2]}}
    assert flat.field_lines["data.nested.deep[1]"] == 10
    assert entries["app.api:explicit"].data == {"size": 6}
    assert entries["app.api:odd:name.with-dots"].name == "odd:name.with-dots"
    solo = entries["solo:one"]
    assert (solo.kind, solo.data, solo.meta) == ("test.resource", {"size": 2}, {"a": "b"})
    assert entries["j:x"].data == {"v": 1}  # JSON with tabs, which YAML refuses


def test_yaml_12_scalars(tmp_path):
    write(tmp_path / "x.yaml", "namespace: n\nentries:\n  - name: a\n    kind: k\n"
                               "    flag: yes\n    ports: 22:22\n    day: 2024-01-02\n"
                               "    real: true\n    n: 0x10\n    f: 1.5\n    z: ~\n    octal: 0777\n")
    data = load(tmp_path)["n:a"].data
    assert data == {"flag": "yes", "ports": "22:22", "day": "2024-01-02", "real": True,
                    "n": 16, "f": 1.5, "z": None, "octal": "0777"}


def test_file_references(tmp_path):
    write(tmp_path / "lua" / "h.lua", "return 1")
    write(tmp_path / "shared" / "s.sql", "select 1")
    write(tmp_path / "lua" / "defs.yaml", """
namespace: app
entries:
  - name: f
    kind: test.lua
    source: file://h.lua
    extra:
      - {q: "file:///shared/s.sql"}
    note: "see file://h.lua"
""")
    f = load(tmp_path)["app:f"]
    assert f.data["source"] == "return 1"
    assert f.data["extra"] == [{"q": "select 1"}]
    assert f.data["note"] == "see file://h.lua"  # only strings that start with file://


def test_every_problem_is_reported_with_file_line_and_entry(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "src"
    write(src / "a.yaml", """namespace: app
entries:
  - name: one
    kind: k
    source: file://missing.lua
  - name: two
    kind: k
    source: file://../outside.lua
  - kind: k
  - name: three
  - name: four
    kind: k
    meta: [1]
  - name: five
    kind: k
    source: file:///
""")
    write(src / "b.yaml", "namespace: app\nentries:\n  - name: x\n    kind: k\n    a: [\n")
    write(src / "c.yaml", "namespace: app\nentries:\n  - name: y\n    kind: k\n    a: 1\n    a: 2\n")
    write(src / "d.yaml", "namespace: app\nversion: 1\n")
    write(src / "e.yaml", "namespace: app\nentries: {name: x}\n")
    write(src / "f.yaml", "namespace: [app]\nentries: []\n")
    got = problems(src)
    assert got == [
        "src/a.yaml:5: app:one: source: file://missing.lua: file not found (src/missing.lua)",
        "src/a.yaml:8: app:two: source: file://../outside.lua: path escapes the source "
        "directory src",
        "src/a.yaml:9: entries[2]: name: name is required and must be a non-empty string",
        "src/a.yaml:10: app:three: kind: kind is required and must be a non-empty string",
        "src/a.yaml:13: app:four: meta: meta must be a mapping",
        "src/a.yaml:16: app:five: source: file:///: is a directory (src)",
        "src/b.yaml:6: invalid YAML: expected the node content, but found '<stream end>'",
        "src/c.yaml:6: invalid YAML: duplicate key 'a' (first at line 5)",
        "src/d.yaml:1: entries: either entries array or single entry (name/kind) must be provided",
        "src/e.yaml:2: entries: entries must be a list",
        "src/f.yaml:1: namespace: namespace must be a string",
    ]


def test_duplicate_ids_name_both_places(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "src" / "a.yaml", "namespace: app\nentries:\n  - {name: db, kind: k}\n")
    write(tmp_path / "src" / "b" / "c.yaml", "namespace: app\n\nname: db\nkind: k\n")
    got = problems(tmp_path / "src")
    assert got == ["src/b/c.yaml:1: app:db: duplicate entry id (also defined at src/a.yaml:3); "
                   "rename one of them"]


def test_missing_source_dir_is_an_error(tmp_path):
    entries, errors = load_dir(tmp_path / "nope")
    assert entries == [] and "source directory does not exist" in str(errors[0])


def test_overrides(tmp_path):
    write(tmp_path / "a.yaml", "namespace: app\nentries:\n"
                               "  - {name: db, kind: k, file: a.db, lifecycle: {auto_start: false}}\n")
    entries = load_entries([tmp_path])
    apply_overrides(entries, ["app:db:file=b.db", "app:db:data.lifecycle.auto_start=true",
                              "app:db:meta.tier=2", "app:db:kind=other", "app:db:pool.max=1.5",
                              "app:db:x=a=b"])
    db = entries[0]
    assert db.kind == "other"
    assert db.data == {"file": "b.db", "lifecycle": {"auto_start": True}, "pool": {"max": 1.5},
                       "x": "a=b"}
    assert db.meta == {"tier": 2}
    with pytest.raises(ConfigErrors) as info:
        apply_overrides(entries, ["app:dbb:file=x", "nonsense", "app:db:file.deeper=1"])
    text = [str(e) for e in info.value.errors]
    assert text[0] == "-o app:dbb:file=x: app:dbb: entry app:dbb not found (did you mean app:db?)"
    assert "use ns:entry:field=value" in text[1]
    assert text[2].endswith("cannot set file.deeper: file is not a mapping")


def test_override_parsing():
    assert parse_override("app:gw:addr=:9090") == ("app:gw", "addr", ":9090")
    assert parse_override("a.b:x:y:z=") == ("a.b:x:y", "z", "")
    assert [coerce(v) for v in ("TRUE", "false", "12", "-3", "1e3", "x1", "inf", "nan", ":80")] == [
        True, False, 12, -3, 1000.0, "x1", "inf", "nan", ":80"]
    with pytest.raises(ValueError):
        parse_override("app:file=1")
