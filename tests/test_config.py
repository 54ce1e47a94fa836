from dataclasses import dataclass

import pytest

from wippy.registry.config import Lifecycle, decode, references, spec
from wippy.common.duration import parse_duration
from wippy.registry.loader import load_entries

from .host_helpers import write


@dataclass
class PoolConfig:
    max_size: int = spec(16, min=1, max=1000)
    idle: float = spec(30.0, duration=True, min=0)


@dataclass
class DemoConfig:
    queue: str = spec(required=True, ref="queue.queue")
    func: str = spec(None, ref="function.")
    router: str = spec(None, ref="http.router", meta=True)
    concurrency: int = spec(1, min=1, max=1000)
    mode: str = spec("fast", choices=("fast", "safe"))
    ratio: float = 0.5
    enabled: bool = True
    pool: PoolConfig = spec(default_factory=PoolConfig)
    lifecycle: Lifecycle = spec(default_factory=Lifecycle)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # origins are shown relative to the working directory


def entry_from(tmp_path, body: str):
    write(tmp_path / "defs.yaml", "namespace: app\nentries:\n  - name: demo\n    kind: demo\n"
          + body)
    (entry,) = load_entries([tmp_path])
    return entry


def decoded(tmp_path, body: str):
    entry = entry_from(tmp_path, body)
    cfg, errors = decode(entry, DemoConfig)
    return cfg, [str(e) for e in errors]


def test_defaults_and_bare_references_get_the_entry_namespace(tmp_path):
    cfg, errors = decoded(tmp_path, "    queue: tasks\n    func: other.ns:fn\n"
                                    "    meta: {router: api}\n"
                                    "    lifecycle: {requires: [db, 'x:y'], depends_on: db}\n")
    assert errors == []
    assert cfg.queue == "app:tasks"          # D5: bare name = same namespace
    assert cfg.func == "other.ns:fn"
    assert cfg.router == "app:api"           # meta field, qualified too
    assert cfg.pool == PoolConfig()
    assert cfg.lifecycle.dependencies == ["app:db", "x:y"]
    assert cfg.lifecycle.start_timeout == 10.0 and cfg.lifecycle.restart.max_delay == 90.0
    assert references(cfg) == [
        ("queue", "app:tasks", "queue.queue"), ("func", "other.ns:fn", "function."),
        ("router", "app:api", "http.router"),
        ("lifecycle.requires[0]", "app:db", True), ("lifecycle.requires[1]", "x:y", True),
        ("lifecycle.depends_on[0]", "app:db", True)]


def test_unknown_field_suggests_the_right_one_with_its_line(tmp_path):
    _, errors = decoded(tmp_path, "    queue: q\n    concurency: 2\n"
                                  "    lifecycle:\n      auto_strat: true\n")
    assert errors[0].startswith(
        "defs.yaml:6: app:demo: concurency: unknown field (did you mean concurrency?); allowed: ")
    assert errors[1].startswith(
        "defs.yaml:8: app:demo: lifecycle.auto_strat: unknown field (did you mean auto_start?)")


def test_required_limits_types_and_choices(tmp_path):
    _, errors = decoded(tmp_path, "    concurrency: 5000\n    mode: fsat\n    ratio: high\n"
                                  "    enabled: 'yes'\n    pool: {max_size: 0, idle: 5 minutes}\n")
    assert errors == [
        "defs.yaml:3: app:demo: queue: queue is required",
        "defs.yaml:5: app:demo: concurrency: must be at most 1000, got 5000",
        "defs.yaml:6: app:demo: mode: must be one of fast, safe, got 'fsat' (did you mean fast?)",
        "defs.yaml:7: app:demo: ratio: must be a number, got 'high'",
        "defs.yaml:8: app:demo: enabled: must be true or false, got 'yes'",
        "defs.yaml:9: app:demo: pool.max_size: must be at least 1, got 0",
        "defs.yaml:9: app:demo: pool.idle: unknown unit \" minutes\" in duration \"5 minutes\" "
        "(use Go syntax such as \"300ms\", \"5s\", \"1h30m\")",
    ]


def test_durations_in_config(tmp_path):
    cfg, errors = decoded(tmp_path, "    queue: q\n    pool: {idle: 1m30s}\n    lifecycle:\n"
                                    "      stop_timeout: 250ms\n      start_timeout: 2\n"
                                    "      restart: {initial_delay: -1s}\n")
    assert cfg.pool.idle == 90.0
    assert cfg.lifecycle.stop_timeout == 0.25
    assert cfg.lifecycle.start_timeout == 2.0  # a bare number is seconds
    assert errors == ["defs.yaml:10: app:demo: lifecycle.restart.initial_delay: "
                      "must be at least 0, got '-1s'"]


def test_wrong_shapes(tmp_path):
    _, errors = decoded(tmp_path, "    queue: [a, b]\n    pool: 3\n    lifecycle: {requires: {a: 1}}\n")
    assert errors == [
        "defs.yaml:5: app:demo: queue: must be a string, got a list",
        "defs.yaml:6: app:demo: pool: must be a mapping, got an integer",
        "defs.yaml:7: app:demo: lifecycle.requires: must be a list, got a mapping",
    ]


@pytest.mark.parametrize("text,seconds", [
    ("300ms", 0.3), ("1h30m", 5400.0), ("-1.5s", -1.5), ("0", 0.0), ("2us", 2e-6),
    ("1µs", 1e-6), (".5s", 0.5), ("1h0m0.5s", 3600.5)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "1x", "s", "1.5.5s", "1 s", " 5s", "5s "])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@dataclass
class Route:
    func: str = spec(required=True, ref="function.")


@dataclass
class RoutesConfig:
    server: str = spec(required=True, ref="http.service", meta=True)
    file: str = spec(required=True)
    routes: list[Route] = spec(default_factory=list)


def test_meta_fields_blank_required_and_nested_references(tmp_path):
    entry = entry_from(tmp_path, "    file: '  '\n    routes:\n      - func: a\n      - {func: b}\n")
    cfg, errors = decode(entry, RoutesConfig)
    assert [(e.field, str(e)) for e in errors] == [
        ("meta.server", "defs.yaml:3: app:demo: meta.server: server is required"),
        ("file", "defs.yaml:5: app:demo: file: file is required"),
    ]
    assert references(cfg) == [("routes[0].func", "app:a", "function."),
                               ("routes[1].func", "app:b", "function.")]
    assert entry.origin_of("data.routes[1].func").line == 8
    assert entry.origin_of("data.routes[7]").line == 6   # no such item: the list's line
