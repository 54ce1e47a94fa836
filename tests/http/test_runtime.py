"""HTTP entries through the real runtime: plan, build, supervisor start and stop."""
import httpx
import pytest

from wippy.registry.entry import Entry
from wippy.errors import ConfigErrors, Origin
from wippy.kinds import function, http
from wippy.runtime import Runtime

from .helpers import modules

pytestmark = pytest.mark.anyio


KINDS = {k.name: k for k in [*http.KINDS, *function.KINDS]}
HANDLER = """
local http = require("http")
return { handler = function()
    local req = http.request()
    local res = http.response()
    res:set_status(http.STATUS.CREATED)
    res:write_json({id = req:param("id"), who = req:header("x-user")})
end }
"""


def entry(name, kind, data=None, meta=None, line=1):
    return Entry("app", name, kind, meta or {}, data or {}, Origin("src/_index.yaml", line),
                 {"data.path": line, "data.prefix": line})


def registry(*extra):
    return [
        entry("gateway", "http.service", {"addr": "127.0.0.1:0",
                                          "lifecycle": {"auto_start": True, "stop_timeout": "2s"}}),
        entry("router", "http.router", {"prefix": "/v1"}, {"server": "gateway"}),
        entry("show", "function.lua", {"source": HANDLER, "method": "handler",
                                       "modules": ["http"]}),
        entry("show.endpoint", "http.endpoint", {"method": "PUT", "path": "/things/{id}",
                                                 "func": "show"}, {"router": "router"}),
        *extra,
    ]


async def test_runtime_serves_and_stops():
    rt = Runtime(registry(), kinds=KINDS, modules=modules())
    async with rt:
        server = rt.objects["app:gateway"]
        async with httpx.AsyncClient(base_url=server.url) as c:
            r = await c.put("/v1/things/9", headers={"X-User": "ann"})
            assert (r.status_code, r.json()) == (201, {"id": "9", "who": "ann"})
            assert r.headers["content-type"] == "application/json"
            assert (await c.get("/v1/things/9")).status_code == 405
        assert rt.status()["app:gateway"]["state"] == "running"
    assert server.bound is None


async def test_route_conflict_stops_boot_with_the_entry():
    clash = entry("clash.endpoint", "http.endpoint",
                  {"method": "PUT", "path": "/things/{name}", "func": "show"},
                  {"router": "router"}, line=40)
    rt = Runtime(registry(clash), kinds=KINDS, modules=modules())
    with pytest.raises(ConfigErrors) as info:
        await rt.start()
    text = str(info.value)
    # Entries build in lexical order: the second of the two is the one reported.
    assert "src/_index.yaml:1: app:show.endpoint: path: route pattern conflicts detected" in text
    assert "(app:clash.endpoint)" in text


async def test_duplicate_router_prefix_stops_boot():
    twin = entry("router2", "http.router", {"prefix": "/v1/"}, {"server": "gateway"}, line=12)
    rt = Runtime(registry(twin), kinds=KINDS, modules=modules())
    with pytest.raises(ConfigErrors) as info:
        await rt.start()
    assert "app:router2: prefix: router prefix already exists: /v1" in str(info.value)
