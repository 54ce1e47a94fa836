"""`wippy check` reads the Lua it loads: a `require` of a module the entry does not declare
is an error at the require's file and line; a literal id given to queue.publish or sql.get
that names no entry is a warning."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wippy.registry.lua_refs import scan

ROOT = Path(__file__).resolve().parents[2]


def test_scan_finds_requires_and_literal_ids_but_not_in_comments_or_strings():
    src = '''local q = require("queue")
local s = require 'sql'
-- require("json") in a comment
local text = "require('yaml')"
--[[ q.publish("app:nope") ]]
local function f(t: {string}) return q.publish("tasks", t) end
local db = s.get("app:db")
local other = obj.require("http")
'''
    requires, uses = scan(src, "app")
    assert [(r.name, r.line) for r in requires] == [("queue", 1), ("sql", 2)]
    assert [(u.module, u.function, u.entry_id, u.line) for u in uses] == [
        ("queue", "publish", "app:tasks", 6), ("sql", "get", "app:db", 7)]


def test_a_source_that_does_not_lex_is_left_to_the_syntax_check():
    assert scan('local s = "unterminated', "app") == ([], [])


@pytest.fixture
def project(tmp_path):
    shutil.copytree(ROOT / "examples" / "task-queue" / "src", tmp_path / "src")
    (tmp_path / "wippy.lock").write_text("directories:\n  modules: .wippy\n  src: ./src\n")
    return tmp_path


def check(project):
    return subprocess.run([sys.executable, "-m", "wippy", "check"], cwd=project,
                          capture_output=True, text=True, timeout=60)


def test_the_tutorial_checks_clean(project):
    out = check(project)
    assert out.returncode == 0 and "warning" not in out.stdout, out.stdout + out.stderr


def test_an_undeclared_require_fails_the_check_at_its_line(project):
    index = project / "src" / "_index.yaml"
    text = index.read_text()
    create = text.index("name: create_task")
    index.write_text(text[:create] + text[create:].replace("      - uuid\n", "", 1))
    out = check(project)
    assert out.returncode == 1
    assert ("src/create_task.lua:3: app:create_task: modules: require('uuid') but the entry "
            "does not declare it") in out.stdout, out.stdout


def test_a_literal_queue_id_that_names_nothing_is_a_warning(project):
    handler = project / "src" / "create_task.lua"
    handler.write_text(handler.read_text().replace('"app:tasks_queue"', '"app:task_queue"'))
    out = check(project)
    assert out.returncode == 0
    assert ("warning: src/create_task.lua:34: app:create_task: source: "
            "queue.publish('app:task_queue') names no queue entry (did you mean app:tasks_queue?)"
            ) in out.stdout, out.stdout
