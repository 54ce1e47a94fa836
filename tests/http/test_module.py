"""The `http` Lua module against a per-request state, without a server."""
import pytest

from wippy.lua.engine import LuaEngine

from .helpers import fake_call, modules

pytestmark = pytest.mark.anyio


@pytest.fixture
async def run():
    engine = LuaEngine({}, modules=modules(), workers=1)
    await engine.start()

    async def run(body: str, http=None):
        src = f"local http = require('http')\nreturn {{ main = function()\n{body}\nend }}"
        fdef = engine.define("test:fn", src, "main", ["http"])
        return await engine.call(fdef, (), http=http)
    yield run
    await engine.close()


async def test_no_context(run):
    r = await run("""
        local req, err = http.request()
        local res, err2 = http.response()
        return req == nil and res == nil, tostring(err), err2:kind()""")
    assert r.values == [True, "no HTTP request context found", "Internal"]


async def test_request_accessors(run):
    call = fake_call("POST", "/tasks/7", headers=[("Content-Type", "application/json"),
                                                  ("X-Request-Id", "abc"), ("X-Multi", "a"),
                                                  ("x-multi", "b"), ("Host", "example.test"),
                                                  ("Accept", "text/html, application/*;q=0.8")],
                     query=b"status=&a=1&a=2&flag", body=b'{"n": 1}', params={"id": "7"})
    r = await run("""
        local req = http.request()
        return {
          method = req:method(), path = req:path(), host = req:host(),
          remote = req:remote_addr(), status = req:query("status"), missing = req:query("nope"),
          a = req:query("a"), flag = req:query("flag"), qp = req:query_params(),
          ct = req:content_type(), cl = req:content_length(), has_body = req:has_body(),
          rid = req:header("x-request-id"), rid2 = req:header("X-REQUEST-ID"),
          multi = req:header("X-Multi"), none = req:header("X-None") == nil,
          id = req:param("id"), params = req:params(), body = req:body(),
          json_ok = req:is_content_type("application/json"),
          accepts_json = req:accepts("application/json"), accepts_xml = req:accepts("text/xml"),
        }""", http=call)
    assert r.error is None
    v = r.values[0]
    assert v == {
        "method": "POST", "path": "/tasks/7", "host": "example.test",
        "remote": "10.0.0.7:51234", "status": "", "a": "1", "flag": "",
        "qp": {"status": "", "a": "1,2", "flag": ""}, "ct": "application/json", "cl": 8,
        "has_body": True, "rid": "abc", "rid2": "abc", "multi": "a, b", "none": True,
        "id": "7", "params": {"id": "7"}, "body": '{"n": 1}', "json_ok": True,
        "accepts_json": True, "accepts_xml": False}


@pytest.mark.parametrize("body,expected", [
    (b'{"a": 1, "b": 2.5, "c": [1, 2], "d": {}}', "a=1 integer b=2.5 float c=2 d=obj"),
    (b'[1, 2, 3]', "array 3"),
    (b'"text"', "string text"),
    (b'null', "nil nil"),
])
async def test_body_json_values(run, body, expected):
    r = await run("""
        local v, err = http.request():body_json()
        if v == nil then return "nil " .. tostring(err) end
        if type(v) ~= "table" then return type(v) .. " " .. v end
        if v[1] then return "array " .. #v end
        return "a=" .. v.a .. " " .. math.type(v.a) .. " b=" .. v.b .. " " .. math.type(v.b) ..
               " c=" .. #v.c .. " d=" .. (next(v.d) == nil and "obj" or "?")""",
                  http=fake_call("POST", body=body))
    assert r.values == [expected]


@pytest.mark.parametrize("body", [b"", b"   ", b"{bad", b"NaN", b'{"a": Infinity}',
                                  b'"\\ud800"', b"\xff\xfe", b"[" * 200 + b"]" * 200])
async def test_body_json_invalid(run, body):
    r = await run("""
        local v, err = http.request():body_json()
        return v, err:kind(), err:message()""", http=fake_call("POST", body=body))
    assert r.values[0] is None and r.values[1] == "Invalid"
    assert r.values[2].startswith("invalid JSON: ")


async def test_empty_object_round_trips_as_object(run):
    call = fake_call("POST", body=b'{"data": {}, "list": []}')
    r = await run("""
        local v = http.request():body_json()
        local res = http.response()
        res:write_json({data = v.data, list = v.list, fresh = {}})""", http=call)
    assert r.error is None
    assert b"".join(call.chunks) == b'{"data":{},"fresh":[],"list":[]}'


async def test_response_buffers_status_and_headers_until_first_write(run):
    call = fake_call("POST")
    r = await run("""
        local res = http.response()
        assert(res:set_header("X-Trace", "t1") == nil)
        assert(res:set_status(http.STATUS.ACCEPTED) == nil)
        assert(res:set_status(201) == nil)             -- still buffered: last one wins
        assert(res:write_json({id = "x", html = "<b>&"}) == nil)
        local e1 = res:set_status(500)
        local e2 = res:set_header("X-Late", "1")
        return tostring(e1), tostring(e2)""", http=call)
    assert r.values == ["cannot set status after headers are sent",
                        "cannot set headers after they are sent"]
    assert call.status == 201 and call.handled
    assert call.headers == {b"x-trace": b"t1", b"content-type": b"application/json"}
    assert b"".join(call.chunks) == b'{"html":"\\u003cb\\u003e\\u0026","id":"x"}'


async def test_write_json_keeps_explicit_content_type_and_reports_encode_errors(run):
    call = fake_call()
    r = await run("""
        local res = http.response()
        res:set_content_type("application/problem+json")
        local t = {}; t.self = t
        local err = res:write_json(t)
        local mixed = res:write_json({1, x = 2})
        res:write_json({ok = true, n = 3.0})
        return tostring(err), tostring(mixed)""", http=call)
    assert r.values[0].startswith("JSON encode error: ")
    assert "mixed-key table" in r.values[1]
    assert call.headers[b"content-type"] == b"application/problem+json"
    assert b"".join(call.chunks) == b'{"n":3,"ok":true}'


async def test_argument_misuse_raises(run):
    r = await run("local res = http.response(); res.set_status(200)", http=fake_call())
    assert r.raised and "use obj:method()" in r.error.message
    r = await run("http.response():set_status(99)", http=fake_call())
    assert r.raised and "invalid status code" in r.error.message
    r = await run("http.response():set_header('Bad Name', 'v')", http=fake_call())
    assert not r.raised  # a returned error, not raised
    r = await run("return tostring(http.response():set_header('X', 'a\\r\\nInjected: 1'))",
                  http=fake_call())
    assert "control characters" in r.values[0]


async def test_objects_are_read_only_and_protected(run):
    r = await run("""
        local req = http.request()
        local ok, err = pcall(function() req.method = function() return "X" end end)
        return ok, getmetatable(req), http.STATUS.ACCEPTED, http.CONTENT.JSON, http.TRANSFER.SSE""",
                  http=fake_call())
    assert r.values == [False, False, 202, "application/json", "sse"]


async def test_request_max_body_option(run):
    r = await run("""
        local req = http.request({max_body = 4})
        local b, err = req:body()
        return b, tostring(err)""", http=fake_call("POST", body=b"12345"))
    assert r.values == [None, "request body too large"]
