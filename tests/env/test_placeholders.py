"""`${env:...}` placeholders: syntax, typing, errors with file:line, raw registry, edges."""
from __future__ import annotations

import pytest

from tests.host_helpers import write
from wippy.env import EnvRegistry, MemoryStorage, StaticStorage, Variable
from wippy.errors import ConfigErrors
from wippy.kinds import all_kinds
from wippy.registry.loader import load_entries
from wippy.registry.placeholders import PlaceholderError, resolve
from wippy.registry.plan import prepare


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # origins are shown relative to the working directory


def _env() -> EnvRegistry:
    env = EnvRegistry()
    env.add_storage("app:static", StaticStorage({"PORT": "5433", "HOST": "db.local",
                                                 "FLAG": "true", "BAD": "abc"}))
    env.add_storage("app:mem", MemoryStorage())
    for name in ("PORT", "HOST", "FLAG", "BAD"):
        env.add_variable(Variable(f"app:{name.lower()}", "app:static", name))
    env.add_variable(Variable("app:unset", "app:mem", "UNSET"))
    env.add_variable(Variable("app:with_default", "app:mem", "WITH_DEFAULT", default="42"))
    return env


@pytest.mark.parametrize("text, want, value", [
    ("${env:PORT}", None, "5433"),
    ("${env:PORT}", int, 5433),                       # typed by the field
    ("${env:PORT|8080}", None, 5433),                 # typed by the inline default
    ('${env:PORT|"8080"}', None, "5433"),             # a quoted default stays text
    ("${env:app:port}", None, "5433"),                # by entry id
    ("${env:UNSET|8080}", None, 8080),
    ("${env:UNSET|/api}", None, "/api"),
    ("${env:NOT_DECLARED|x}", None, "x"),
    ("${UNSET|fallback}", None, "fallback"),          # shorthand
    ("${HOST|x}", None, "db.local"),
    ("${env:WITH_DEFAULT|1}", None, 42),              # the variable's default first
    ("${env:FLAG|false}", None, True),
    ("postgres://${env:HOST}:${env:PORT|1}/db", int, "postgres://db.local:5433/db"),
    ("$${env:PORT} and ${VAR} and ${lower|x}", None, "${env:PORT} and ${VAR} and ${lower|x}"),
    ("${env:UNSET|}", None, ""),
])
def test_resolution(text, want, value):
    assert resolve(text, _env(), want).value == value


def test_variables_read_are_reported():
    found = resolve("${env:HOST}:${env:app:port} ${env:NOT_DECLARED|x}", _env())
    assert found.variables == {"app:host", "app:port"}


@pytest.mark.parametrize("text, want, message", [
    ("${env:UNSET}", None, "UNSET is not set and has no default"),
    ("${env:NOPE}", None, "no env.variable is named NOPE"),
    ("${env:BAD}", int, "the value of BAD ('abc') is not an integer"),
    ("${env:BAD|1}", None, "is not an integer"),
    ("${env:bad name}", None, "is not a variable name"),
])
def test_errors(text, want, message):
    with pytest.raises(PlaceholderError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve(text, _env(), want)


APP = """namespace: app
entries:
  - name: os_env
    kind: env.storage.os
  - name: pg_password
    kind: env.variable
    variable: WIPPY_TEST_PG_PASSWORD
    storage: os_env
  - name: gateway
    kind: http.service
    addr: "127.0.0.1:${env:WIPPY_TEST_PORT|8080}"
    max_body: ${env:WIPPY_TEST_MAX_BODY|1024}
    lifecycle: {auto_start: true}
  - name: router
    kind: http.router
    meta: {server: gateway}
    prefix: ${API_PREFIX|/api}
  - name: db
    kind: db.sql.sqlite
    file: "./data/${env:WIPPY_TEST_PG_PASSWORD}.db"
    options: {application_name: "${env:app:pg_password}", literal: "$${HOME}"}
"""


def _plan(tmp_path, text=APP):
    write(tmp_path / "src" / "_index.yaml", text)
    entries = load_entries([tmp_path / "src"])
    return entries, prepare(entries, all_kinds())


def test_decode_resolves_and_orders_after_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("WIPPY_TEST_PG_PASSWORD", "s3cret")
    entries, plan = _plan(tmp_path)
    assert plan.configs["app:gateway"].addr == "127.0.0.1:8080"
    assert plan.configs["app:gateway"].max_body == 1024
    assert plan.configs["app:router"].prefix == "/api"
    db = plan.configs["app:db"]
    assert db.file == "./data/s3cret.db"
    assert db.options == {"application_name": "s3cret", "literal": "${HOME}"}
    assert "app:pg_password" in plan.graph.deps["app:db"]
    order = plan.order
    assert order.index("app:os_env") < order.index("app:pg_password") < order.index("app:db")
    # The registry keeps what was written: no secret in the entries.
    by_id = {e.id: e for e in entries}
    assert by_id["app:db"].data["file"] == "./data/${env:WIPPY_TEST_PG_PASSWORD}.db"
    assert "s3cret" not in repr([e.data for e in entries])


def test_unset_variable_is_one_line_with_file_line_entry_field_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("WIPPY_TEST_PG_PASSWORD", raising=False)
    with pytest.raises(ConfigErrors) as exc:
        _plan(tmp_path)
    first, second = map(str, exc.value.errors)
    assert second.startswith("src/_index.yaml:21: app:db: options.application_name: "
                             "${env:app:pg_password}: app:pg_password is not set")
    text = first
    assert text.startswith("src/_index.yaml:20: app:db: file: ${env:WIPPY_TEST_PG_PASSWORD}: "
                           "WIPPY_TEST_PG_PASSWORD is not set and has no default")
    assert "\n" not in text


def test_lua_source_is_opaque(tmp_path):
    write(tmp_path / "src" / "h.lua", 'local t = "${env:NOT_DECLARED}"\n'
          "return {main = function() return t end}\n")
    _, plan = _plan(tmp_path, "namespace: app\nentries:\n  - name: h\n    kind: function.lua\n"
                              "    source: file://h.lua\n    method: main\n")
    assert "${env:NOT_DECLARED}" in plan.configs["app:h"].source
