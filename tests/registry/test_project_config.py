"""`.wippy.yaml`: composition, profiles, vars, --set, precedence and one-line errors."""
from __future__ import annotations

import pytest

from tests.host_helpers import write
from wippy.errors import ConfigErrors
from wippy.kinds import all_kinds
from wippy.registry.disable import apply_disable
from wippy.registry.loader import load_entries
from wippy.registry.overrides import apply_override_items, apply_overrides, coerce
from wippy.registry.plan import prepare
from wippy.registry.project_config import load_project_config

BASE = """version: "1.0"
vars:
  port: 8085
  home: ${env:WIPPY_TEST_HOME|/nowhere}
logger:
  encoding: console
override:
  app:db:kind: db.sql.sqlite
  app:gateway:addr: "127.0.0.1:${port}"
  app:router:prefix: /base
disable:
  namespaces: ["legacy.**"]
profiles:
  pg:
    vars:
      port: 18085
    override:
      app:db:kind: db.sql.postgres
    disable:
      namespaces.add: ["experimental.**"]
      namespaces.remove: ["legacy.**"]
  json:
    logger: {encoding: json}
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _load(tmp_path, text=BASE, **kw):
    write(tmp_path / ".wippy.yaml", text)
    return load_project_config(cwd=tmp_path, environ=kw.pop("environ", {}), **kw)


def _overrides(project) -> dict:
    return {k: v for k, v, _ in project.overrides}


def _errors(tmp_path, text, **kw) -> list[str]:
    with pytest.raises(ConfigErrors) as exc:
        _load(tmp_path, text, **kw)
    return [str(e) for e in exc.value.errors]


def test_default_file_is_optional(tmp_path):
    project = load_project_config(cwd=tmp_path)
    assert project.files == [] and project.overrides == [] and not project.disable


def test_base_file(tmp_path):
    project = _load(tmp_path, environ={"WIPPY_TEST_HOME": "/home/w"})
    assert _overrides(project) == {"app:db:kind": "db.sql.sqlite",
                                   "app:gateway:addr": "127.0.0.1:8085",
                                   "app:router:prefix": "/base"}
    assert project.config["vars"] == {"port": 8085, "home": "/home/w"}
    assert project.disable.namespaces == ["legacy.**"]
    assert project.settings.log_encoding == "console"
    assert "profiles" not in project.config
    assert project.overrides[1][2].line == 9     # origins name the line


def test_profile_then_set_precedence(tmp_path):
    project = _load(tmp_path, profiles=["pg"])
    assert _overrides(project)["app:db:kind"] == "db.sql.postgres"
    assert _overrides(project)["app:gateway:addr"] == "127.0.0.1:18085"   # profile vars
    assert project.disable.namespaces == ["experimental.**"]
    project = _load(tmp_path, profiles=["pg", "json"],
                    sets=["vars.port=9001", "logger.encoding=console",
                          "override.app:router:prefix=/set", "disable.entries=[app:x_*]"])
    assert _overrides(project)["app:gateway:addr"] == "127.0.0.1:9001"
    assert _overrides(project)["app:router:prefix"] == "/set"
    assert project.settings.log_encoding == "console"
    assert project.disable.entries == ["app:x_*"]


def test_files_compose_left_to_right(tmp_path):
    write(tmp_path / "local.yaml", "vars: {port: 7000}\nlogger: {encoding: json}\n"
                                   "override: {app:db:file: ./local.db}\n")
    write(tmp_path / "base.yaml", BASE)
    project = load_project_config(["base.yaml", "local.yaml"], cwd=tmp_path, environ={})
    assert _overrides(project)["app:gateway:addr"] == "127.0.0.1:7000"
    assert _overrides(project)["app:db:file"] == "./local.db"
    assert _overrides(project)["app:db:kind"] == "db.sql.sqlite"        # kept from base
    assert project.settings.log_encoding == "json"
    assert project.files == ["base.yaml", "local.yaml"]


@pytest.mark.parametrize("text, kw, expected", [
    ("loger:\n  encoding: json\n", {},
     ".wippy.yaml:1: unknown section 'loger' (did you mean logger?)"),
    ("logger:\n  encoding: jsn\n", {},
     ".wippy.yaml:2: logger.encoding: must be one of console, json, got 'jsn' (did you mean json?)"),
    ("logger:\n  encodng: json\n", {}, ".wippy.yaml:2: logger.encodng: unknown field (did you mean encoding?)"),
    ("vars: {a: 1}\noverride:\n  app:x:y: ${b}\n", {},
     ".wippy.yaml:3: ${b}: no var named b; define it under vars: (defined: a)"),
    ("vars:\n  a: ${env:WIPPY_TEST_MISSING}\n", {},
     ".wippy.yaml:2: ${env:WIPPY_TEST_MISSING}: environment variable WIPPY_TEST_MISSING is not set"),
    ("profiles:\n  p:\n    vars:\n      a: ${env:HOME}\n", {},
     ".wippy.yaml:4: profile p: vars.a: ${env:...} is not allowed in profile vars"),
    ("profiles:\n  prod: {}\n", {"profiles": ["prdo"]},
     "--profile prdo: unknown profile 'prdo' (did you mean prod?); available: prod"),
    ("logger: {encoding: json}\n", {"sets": ["loger.encoding=json"]},
     "--set loger.encoding=json: unknown section 'loger' (did you mean logger?)"),
    ("disable:\n  namespaces.add: [a]\n", {},
     ".wippy.yaml:2: disable.namespaces.add: .add and .remove work only inside profiles"),
    ("disable:\n  entries: [app]\n", {},
     ".wippy.yaml:2: disable.entries: 'app' is not an entry pattern"),
    ("override:\n  app:addr: 1\n", {}, ".wippy.yaml:2: invalid override key 'app:addr'"),
    ("logger: [\n", {}, ".wippy.yaml:2: invalid YAML"),
    ("shutdown: {timeout: soon}\n", {}, ".wippy.yaml:1: shutdown.timeout:"),
    ("prometheus:\n  enabled: true\n  address: nine\n", {},
     ".wippy.yaml:3: prometheus.address: must be host:port"),
    ("prometheus: {enabled: yes please}\n", {},
     ".wippy.yaml:1: prometheus.enabled: must be true or false"),
    ("prometheus: {adress: ':9090'}\n", {},
     ".wippy.yaml:1: prometheus.adress: unknown field (did you mean address?)"),
])
def test_bad_input_is_one_line_with_file_and_line(tmp_path, text, kw, expected):
    (line, *rest) = _errors(tmp_path, text, **kw)
    assert line.startswith(expected), line
    assert "\n" not in line and not rest


def test_prometheus_section_is_honoured(tmp_path):
    assert _load(tmp_path, "logger: {encoding: json}\n").settings.prometheus_enabled is False
    project = _load(tmp_path, "prometheus: {enabled: true, address: '127.0.0.1:9100'}\n")
    assert project.settings.prometheus_enabled is True
    assert project.settings.prometheus_address == "127.0.0.1:9100"


def test_named_config_must_exist(tmp_path):
    with pytest.raises(ConfigErrors, match="config file not found: nope.yaml"):
        load_project_config(["nope.yaml"], cwd=tmp_path)


def test_documented_sections_are_accepted_with_a_warning(tmp_path, caplog):
    project = _load(tmp_path, "cluster: {enabled: true}\nshutdown: {timeout: 5s}\n")
    assert project.settings.shutdown_timeout == 5.0
    project.warn_ignored()
    assert any("no effect" in r.getMessage() and r.fields["section"] == "cluster"
               for r in caplog.records)


APP = """namespace: app
entries:
  - {name: db, kind: db.sql.sqlite, file: ./data/app.db,
     host: localhost, port: 5432, database: app, username: u, password: p}
  - {name: gateway, kind: http.service, addr: ":8080"}
  - {name: tags, kind: registry.entry}
"""


def _entries(tmp_path, text=APP):
    write(tmp_path / "src" / "_index.yaml", text)
    return load_entries([tmp_path / "src"])


def test_entry_precedence_file_override_profile_then_o(tmp_path):
    entries = _entries(tmp_path)
    project = _load(tmp_path, "override:\n  app:gateway:addr: ':1'\n  app:gateway:max_body: 10\n"
                              "profiles:\n  p:\n    override:\n      app:gateway:addr: ':2'\n",
                    profiles=["p"])
    apply_override_items(entries, project.overrides)
    apply_overrides(entries, ["app:gateway:max_body=20"])
    gateway = {e.id: e for e in entries}["app:gateway"]
    assert gateway.data["addr"] == ":2" and gateway.data["max_body"] == 20


def test_o_takes_lists_and_maps(tmp_path):
    assert coerce("[a, 2, true]") == ["a", 2, True]
    assert coerce("{k: v, n: 1}") == {"k": "v", "n": 1}
    with pytest.raises(ValueError, match="flow syntax"):
        coerce("[a, b")
    entries = _entries(tmp_path)
    apply_overrides(entries, ["app:tags:items=[a,b]", "app:tags:meta.labels={x: 1}"])
    tags = {e.id: e for e in entries}["app:tags"]
    assert tags.data["items"] == ["a", "b"] and tags.meta["labels"] == {"x": 1}
    assert type(tags.data["items"]) is list


def test_switching_kind_drops_the_old_kinds_fields(tmp_path, caplog):
    caplog.set_level("DEBUG", "wippy.registry")
    entries = _entries(tmp_path, "namespace: app\nentries:\n"
                                 "  - {name: store, kind: env.storage.file, file_path: ./x.env}\n")
    apply_overrides(entries, ["app:store:kind=env.storage.memory"])
    plan = prepare(entries, all_kinds())
    assert plan.entries["app:store"].kind == "env.storage.memory"
    assert plan.entries["app:store"].data == {"file_path": "./x.env"}   # the registry keeps it
    assert any(r.getMessage().startswith("kind switched by override")
               and r.fields["dropped"] == "file_path" for r in caplog.records)
    # Switching back clears the mark; fields neither kind knows stay refused.
    apply_overrides(entries, ["app:store:kind=env.storage.file"])
    assert entries[0].written_kind is None
    entries = _entries(tmp_path, "namespace: app\nentries:\n  - {name: store, "
                                 "kind: env.storage.file, file_path: ./x.env, bogus: 1}\n")
    apply_overrides(entries, ["app:store:kind=env.storage.memory"])
    with pytest.raises(ConfigErrors, match="app:store: bogus: unknown field"):
        prepare(entries, all_kinds())
    # Without an override, the entry's own kind checks strictly.
    entries = _entries(tmp_path, "namespace: app\nentries:\n"
                                 "  - {name: store, kind: env.storage.memory, file_path: x}\n")
    with pytest.raises(ConfigErrors, match="app:store: file_path: unknown field"):
        prepare(entries, all_kinds())


def test_disable_namespaces_and_entries(tmp_path):
    write(tmp_path / "src" / "legacy" / "_index.yaml",
          "namespace: legacy.old\nentries:\n  - {name: x, kind: registry.entry}\n")
    write(tmp_path / "src" / "app" / "_index.yaml",
          "namespace: app\nentries:\n  - {name: debug_a, kind: registry.entry}\n"
          "  - {name: keep, kind: registry.entry}\n")
    entries = load_entries([tmp_path / "src"])
    project = _load(tmp_path, "disable:\n  namespaces: ['legacy.**']\n  entries: ['app:debug_*']\n")
    assert [e.id for e in apply_disable(entries, project.disable)] == ["app:keep"]


# The precedence table of docs/configuration.md, one row per set of layers present: the
# highest layer present wins, for an entry field and for a config value alike.
LAYERS = ["entry", "file", "local", "profile", "o"]


@pytest.mark.parametrize("present", [LAYERS[:n] for n in range(1, 6)]
                         + [["entry", "file", "o"], ["entry", "profile"], ["entry", "local"],
                            ["entry", "o"], ["entry", "file", "profile"]])
def test_precedence_table(tmp_path, present):
    entries = _entries(tmp_path)
    write(tmp_path / "base.yaml",
          ("override: {app:gateway:addr: ':file'}\nvars: {v: file}\n" if "file" in present
           else "vars: {}\n") + "profiles:\n  p:\n" +
          ("    override: {app:gateway:addr: ':profile'}\n    vars: {v: profile}\n"
           if "profile" in present else "    vars: {}\n"))
    write(tmp_path / "local.yaml", "override: {app:gateway:addr: ':local'}\nvars: {v: local}\n"
          if "local" in present else "{}\n")
    project = load_project_config(["base.yaml", "local.yaml"], ["p"],
                                  ["vars.v=set"] if "o" in present else [], cwd=tmp_path,
                                  environ={})
    apply_override_items(entries, project.overrides)
    apply_overrides(entries, ["app:gateway:addr=:o"] if "o" in present else [])
    top = present[-1]
    assert {e.id: e for e in entries}["app:gateway"].data["addr"] == (
        ":8080" if top == "entry" else f":{top}")       # ":8080" is what APP writes
    # Config values: files left to right < profiles < --set (the entry has no say here).
    want = {"entry": None, "o": "set"}.get(present[-1], present[-1])
    assert project.config["vars"].get("v") == want
