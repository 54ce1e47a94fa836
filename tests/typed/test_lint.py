"""`wippy lint`: P0001, the E checks that need no flow analysis, the W rules."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

from wippy.lua.typed.lint import lint

SOURCE = '''type User = {name: string, age: number}
type Status = "pending" | "active" | "done"
local x: number = "hello"
local s: Status = "invalid"
local ok: Status = "done"
local y: number? = nil
local z: number = nil
local i: integer = 1.5
local n: number = 1
local u: User = {name = "a", age = 1}
print(u.nmae, u.name, x, s, ok, y, z, i, n)
local unused = 1
local function f(a: number, b)
    local x = a
    return x
end
glob = 5
print(undefined_thing, glob, json, errors, f)
'''


def codes(diags):
    return [(d.line, d.code, d.message) for d in diags]


def test_type_checks_without_flow_analysis():
    assert codes(lint(SOURCE, "app:t", modules=["json"])) == [
        (3, "E0001", "string not assignable to number"),
        (4, "E0001", '"invalid" not assignable to Status'),
        (7, "E0001", "nil not assignable to number"),
        (8, "E0001", "number not assignable to integer"),
        (11, "E0003", "field 'nmae' does not exist on User"),
        (18, "E0002", "undefined variable 'undefined_thing'"),
    ]


def test_rules_add_the_w_series():
    w = [c for c in codes(lint(SOURCE, "app:t", modules=["json"], rules=True)) if c[1][0] == "W"]
    assert w == [
        (12, "W0004", "unused local 'unused'"),
        (13, "W0005", "unused parameter 'b'"),
        (14, "W0007", "'x' shadows a local of an outer scope"),
        (17, "W0002", "assignment to global 'glob'"),
    ]


def test_syntax_errors_are_p0001_with_line_and_column():
    [d] = lint("local a = 1\nlocal x: = 1", "app:t")
    assert (d.code, d.severity, d.line, d.column) == ("P0001", "error", 2, 10)


def test_wippy_lint_on_a_project(tmp_path):
    from tests.e2e.conftest import EXAMPLE, make_project
    src = tmp_path / "src-in"
    shutil.copytree(EXAMPLE / "src", src)
    create = src / "create_task.lua"
    create.write_text(create.read_text().replace(
        "local task_id = uuid.v4()", "local task_id: integer = \"not a number\""))
    project = make_project(tmp_path, src)

    def wippy(*args):
        return subprocess.run([sys.executable, "-m", "wippy", *args], cwd=project,
                              capture_output=True, text=True, timeout=60)
    result = wippy("lint")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "ok: 14 entries, no problems found",
        "src/create_task.lua:26:30: error E0001: string not assignable to integer (app:create_task)",
        "Checked 4 entries: 1 errors, 0 warnings",
    ]
    data = json.loads(wippy("lint", "--json", "--rules").stdout)
    assert data["error_count"] == 1 and data["total_entries"] == 4
    assert {"entry_id": "app:create_task", "code": "E0001", "severity": "error",
            "message": "string not assignable to integer", "line": 26,
            "column": 30} in data["diagnostics"]
    assert data["warning_count"] == sum(d["severity"] == "warning" for d in data["diagnostics"]) > 0
    assert wippy("check").returncode == 0   # check stays the configuration check


def _two_namespace_project(tmp_path):
    """app.api and lib entries with known problems, initialised with `wippy init`."""
    project = tmp_path / "p"
    (project / "src" / "lib").mkdir(parents=True)
    (project / "src" / "_index.yaml").write_text('''version: "1.0"
namespace: app.api
entries:
  - name: handler
    kind: function.lua
    method: main
    source: |
      local function main(u: {name: string}?, n: number?)
          local x: number = "one"
          return u.name, n + 1, x
      end
      return {main = main}
''')
    (project / "src" / "lib" / "_index.yaml").write_text('''version: "1.0"
namespace: lib
entries:
  - name: util
    kind: library.lua
    source: |
      local function add(a: number, b: number) return a + b end
      local unused = add(1)
      return {add = add}
''')
    subprocess.run([sys.executable, "-m", "wippy", "init"], cwd=project, check=True,
                   capture_output=True, timeout=60)
    return project


def test_lint_flags_ns_code_limit_summary(tmp_path):
    project = _two_namespace_project(tmp_path)

    def lint_json(*args):
        result = subprocess.run([sys.executable, "-m", "wippy", "lint", "--json", *args],
                                cwd=project, capture_output=True, text=True, timeout=60)
        data = json.loads(result.stdout)
        return result.returncode, data, [(d["entry_id"], d["code"], d["line"])
                                         for d in data["diagnostics"]]

    code, data, rows = lint_json()
    assert code == 1 and rows == [("app.api:handler", "E0001", 2), ("app.api:handler", "E0004", 3),
                                  ("app.api:handler", "E0004", 3), ("lib:util", "E0005", 2)]
    assert (data["total_entries"], data["error_count"]) == (2, 4)
    _, data, rows = lint_json("--ns", "lib")
    assert rows == [("lib:util", "E0005", 2)] and data["total_entries"] == 1
    _, _, rows = lint_json("--ns", "app.*")
    assert {r[0] for r in rows} == {"app.api:handler"}
    _, _, rows = lint_json("--ns", "app")        # exact: app.api is not app
    assert rows == []
    _, data, rows = lint_json("--code", "E0004", "--code", "e0005")
    assert [r[1] for r in rows] == ["E0004", "E0004", "E0005"] and data["error_count"] == 3
    _, data, rows = lint_json("--code", "W0004")   # a W code needs no --rules
    assert rows == [("lib:util", "W0004", 2)] and data["warning_count"] == 1
    code, data, rows = lint_json("--limit", "1")
    assert code == 1 and len(rows) == 1 and data["error_count"] == 4

    def lint_text(*args):
        return subprocess.run([sys.executable, "-m", "wippy", "lint", *args], cwd=project,
                              capture_output=True, text=True, timeout=60).stdout.splitlines()

    out = lint_text("--limit", "2")
    assert out[-2:] == ["(2 more not shown: --limit 2)", "Checked 2 entries: 4 errors, 0 warnings"]
    assert lint_text("--summary", "--rules")[1:] == [
        "By namespace:",
        "",
        "  app.api                           3 issues (3 errors)",
        "  lib                               2 issues (1 errors, 1 warnings)",
        "",
        "By error code:",
        "",
        "  E0001      [error  ]    1 occurrences",
        "  E0004      [error  ]    2 occurrences",
        "  E0005      [error  ]    1 occurrences",
        "  W0004      [warning]    1 occurrences",
        "",
        "Checked 2 entries: 4 errors, 1 warnings",
    ]
