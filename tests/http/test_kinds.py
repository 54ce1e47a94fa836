"""http.service / http.router / http.endpoint: config checks and build-time errors."""
import pytest

from wippy.registry.config import decode
from wippy.registry.entry import Entry
from wippy.errors import ConfigError, Origin
from wippy.http import HttpServer, RouterDef
from wippy.kinds.base import BuildContext
from wippy.kinds.http import KINDS

KIND = {k.name: k for k in KINDS}


def entry(name, kind, data=None, meta=None):
    return Entry("app", name, kind, meta or {}, data or {}, Origin("src/_index.yaml", 3))


def problems(e):
    kind = KIND[e.kind]
    cfg, errors = decode(e, kind.config)
    return [str(x) for x in errors] + [f"{f}: {m}" for f, m in kind.validate(e, cfg)]


def test_tutorial_entries_are_valid():
    assert problems(entry("gateway", "http.service", {"addr": ":8080",
                                                       "lifecycle": {"auto_start": True}})) == []
    assert problems(entry("router", "http.router", meta={"server": "app:gateway"})) == []
    assert problems(entry("ep", "http.endpoint", {"method": "POST", "path": "/tasks",
                                                   "func": "app:create_task"},
                          {"router": "app:router"})) == []


@pytest.mark.parametrize("data,expected", [
    ({}, "addr is required"),
    ({"addr": "8080"}, "missing port"),
    ({"addr": ":http"}, "invalid port"),
    ({"addr": "::1:80"}, "brackets"),
    ({"addr": ":80", "timeouts": {"read": "-1s"}}, "at least 0"),
    ({"addr": ":80", "timeouts": {"reed": "1s"}}, "did you mean read"),
    ({"addr": ":80", "tls": {"mode": "auto"}}, "not supported yet"),
    ({"addr": ":80", "tls": {"mode": "manual"}}, "needs both cert and key"),
    ({"addr": ":80", "network": "app:overlay"}, "not supported yet"),
    ({"addr": ":80", "max_body": 0}, "at least 1"),
])
def test_service_problems(data, expected):
    found = problems(entry("gw", "http.service", data))
    assert any(expected in p for p in found), found


def test_service_accepts_go_fields():
    e = entry("gw", "http.service", {
        "addr": "127.0.0.1:0", "timeouts": {"read": "5s", "write": "10s", "idle": "1m"},
        "host": {"buffer_size": 2048, "worker_count": 4}, "tls": {"mode": ""},
        "max_body": 4096})
    assert problems(e) == []


@pytest.mark.parametrize("data,meta,expected", [
    ({}, {}, "server is required"),
    ({"prefix": "api"}, {"server": "gw"}, "prefix must start with /"),
    ({"middleware": ["compress"]}, {"server": "gw"},
     "middleware 'compress' is not supported yet; supported: cors"),
    ({"middleware": ["corss"]}, {"server": "gw"}, "middleware 'corss' is unknown; supported: cors"),
    ({"middleware": ["cors"], "options": {"cors.allow.orgins": "*"}}, {"server": "gw"},
     "options.cors.allow.orgins: unknown option; known: cors.allow.credentials"),
    ({"options": {"cors.allow.origins": "*"}}, {"server": "gw"}, "not listed in middleware"),
])
def test_router_problems(data, meta, expected):
    found = problems(entry("router", "http.router", data, meta))
    assert any(expected in p for p in found), found


def test_router_cors_options_accepted():
    e = entry("router", "http.router", {"middleware": ["cors"], "options": {
        "cors.allow.origins": "https://a.example,*.b.example", "allow_credentials": "true"}},
        {"server": "gw"})
    assert problems(e) == []


@pytest.mark.parametrize("data,expected", [
    ({"method": "post", "path": "/t", "func": "f"},
     "method: invalid HTTP method: post (methods are uppercase: POST)"),
    ({"method": "FETCH", "path": "/t", "func": "f"}, "invalid HTTP method: FETCH; one of GET"),
    ({"method": "GET", "path": "t", "func": "f"}, "path must start with /"),
    ({"method": "GET", "path": "/t/{a...}/b", "func": "f"}, "must be the last segment"),
    ({"method": "GET", "path": "/t"}, "func is required"),
])
def test_endpoint_problems(data, expected):
    found = problems(entry("ep", "http.endpoint", data, {"router": "router"}))
    assert any(expected in p for p in found), found


def build_all(*entries):
    ctx = BuildContext(objects={}, entries={e.id: e for e in entries}, lua=None)
    for e in entries:
        kind = KIND[e.kind]
        cfg, errors = decode(e, kind.config)
        assert not errors
        ctx.objects[e.id] = kind.build(e, cfg, ctx)
    return ctx.objects


def test_build_registers_routes_on_the_server():
    objects = build_all(
        entry("gw", "http.service", {"addr": "127.0.0.1:0"}),
        entry("router", "http.router", {"prefix": "/api/"}, {"server": "gw"}),
        entry("ep", "http.endpoint", {"method": "GET", "path": "/t/:id", "func": "f"},
              {"router": "router"}))
    server = objects["app:gw"]
    assert isinstance(server, HttpServer) and isinstance(objects["app:router"], RouterDef)
    assert [ep.route for ep in server.routing.endpoints] == ["GET /api/t/{id}"]
    assert objects["app:ep"].func_id == "app:f"   # bare reference qualified (D5)


def test_build_errors_name_entry_and_field():
    with pytest.raises(ConfigError) as info:
        build_all(entry("gw", "http.service", {"addr": ":0"}),
                  entry("r1", "http.router", meta={"server": "gw"}),
                  entry("r2", "http.router", meta={"server": "gw"}))
    assert info.value.entry_id == "app:r2" and info.value.field == "prefix"
    assert "router prefix already exists" in str(info.value)
    with pytest.raises(ConfigError) as info:
        build_all(entry("gw", "http.service", {"addr": ":0"}),
                  entry("r", "http.router", meta={"server": "gw"}),
                  entry("a", "http.endpoint", {"method": "GET", "path": "/x/{a}", "func": "f"},
                        {"router": "r"}),
                  entry("b", "http.endpoint", {"method": "GET", "path": "/x/{b}", "func": "f"},
                        {"router": "r"}))
    assert info.value.entry_id == "app:b" and "route pattern conflicts detected" in str(info.value)


def test_edge_limits_reach_the_server_options():
    objects = build_all(entry("gw", "http.service", {
        "addr": "127.0.0.1:0", "timeouts": {"body_idle": "5s"}, "max_connections": 50,
        "max_body_buffer": 4096, "max_header_bytes": 2048, "max_headers": 20, "max_uri": 512}))
    opts = objects["app:gw"].options
    assert (opts.body_idle_timeout, opts.max_connections, opts.max_body_buffer) == (5.0, 50, 4096)
    assert (opts.max_header_bytes, opts.max_headers, opts.max_uri) == (2048, 20, 512)
    defaults = build_all(entry("gw", "http.service", {"addr": "127.0.0.1:0"}))["app:gw"].options
    assert (defaults.body_idle_timeout, defaults.max_connections) == (60.0, 10_000)
    assert defaults.max_body_buffer == 64 << 20
    assert (defaults.max_header_bytes, defaults.max_headers, defaults.max_uri) == (
        64 << 10, 100, 8 << 10)
    assert any("at least 0" in p for p in problems(entry("gw", "http.service", {
        "addr": ":80", "max_connections": -1})))
    assert any("at least 1" in p for p in problems(entry("gw", "http.service", {
        "addr": ":80", "max_headers": 0})))
