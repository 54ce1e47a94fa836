"""The HTTP service on a real socket: errors, limits, deadlines, streaming, CORS, lifecycle."""
import asyncio
import socket
import time

import httpx
import pytest

from wippy.errors import WippyError
from wippy.http import HttpServer, ServerOptions

from .helpers import handler, serving
from .stubs import Probe

pytestmark = pytest.mark.anyio

OK = handler("res:write_json({ok = true})")


async def test_no_response_and_missing_function(caplog):
    routes = [("GET", "/silent", handler("return")),
              ("GET", "/value", handler("return {x = 1}")),
              ("GET", "/missing", None)]
    async with serving(routes) as server, httpx.AsyncClient(base_url=server.url) as c:
        r = await c.get("/silent")
        assert r.status_code == 500
        assert r.json()["error"]["code"] == "no_response"
        assert r.json()["error"]["message"] == "no response sent"
        r = await c.get("/value")   # Go: a returned value, nothing written → 200, empty
        assert (r.status_code, r.content, r.headers["content-type"]) == (200, b"",
                                                                         "application/json")
        r = await c.get("/missing")
        assert r.status_code == 500 and r.json()["error"]["code"] == "no_handler"
    assert any("no handler registered for target test:fn2" in m for m in caplog.messages)


async def test_error_after_write_keeps_the_response(caplog):
    routes = [("GET", "/x", handler("res:set_status(201); res:write('partial'); error('boom')"))]
    async with serving(routes) as server, httpx.AsyncClient(base_url=server.url) as c:
        r = await c.get("/x")
        assert (r.status_code, r.text) == (201, "partial")
        assert r.headers["content-type"] == "text/plain; charset=utf-8"   # sniffed
    assert any("failed after writing a response" in rec.getMessage()
               and "boom" in rec.fields["error"] for rec in caplog.records)


async def test_route_params_query_and_headers():
    src = handler("""
        res:set_header("X-Echo", req:header("x-custom") or "none")
        res:write_json({id = req:param("id"), rest = req:param("rest"), q = req:query("q"),
                        method = req:method(), path = req:path()})""")
    routes = [("GET", "/items/{id}", src), ("GET", "/files/{rest...}", src),
              ("PUT", "/users/:id", src)]
    async with serving(routes, prefix="/api/") as server, \
            httpx.AsyncClient(base_url=server.url) as c:
        r = await c.get("/api/items/42?q=a%20b", headers={"X-Custom": "yes"})
        assert r.json() == {"id": "42", "q": "a b", "method": "GET", "path": "/api/items/42"}
        assert r.headers["x-echo"] == "yes"
        r = await c.get("/api/files/a/b.txt")
        assert r.json()["rest"] == "a/b.txt"
        r = await c.get("/api/items/a%2Fb")             # an escaped slash stays in the segment
        assert r.json()["id"] == "a/b"
        r = await c.put("/api/users/7")
        assert r.json()["id"] == "7"
        assert (await c.get("/items/42")).status_code == 404      # prefix required


async def test_body_limit_answers_413_before_the_handler():
    probe = Probe()
    src = handler("probe.hit(#req:body()); res:write('ok')", ("probe",))
    options = ServerOptions(max_body=64, stop_timeout=2.0)
    async with serving([("POST", "/up", src)], options=options,
                       extra_modules={"probe": probe}) as server:
        async with httpx.AsyncClient(base_url=server.url) as c:
            assert (await c.post("/up", content=b"x" * 64)).text == "ok"
            r = await c.post("/up", content=b"x" * 65)
            assert r.status_code == 413
            assert r.json()["error"]["code"] == "body_too_large"
            assert r.headers["connection"] == "close"
        # Chunked (no Content-Length): counted while reading.
        reader, writer = await asyncio.open_connection(*server.bound)
        writer.write(b"POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                     + b"a\r\n" + b"y" * 10 + b"\r\n" * 1 + (b"a\r\n" + b"y" * 10 + b"\r\n") * 9
                     + b"0\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 413")
        writer.close()
        # Content-Length alone decides: a huge declared body is refused before reading.
        reader, writer = await asyncio.open_connection(*server.bound)
        writer.write(b"POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000000000\r\n\r\n")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 413")
        writer.close()
    assert probe.hits == [(64,)]


async def raw_connect(server: HttpServer):
    return await asyncio.open_connection(*server.bound)


async def wait_closed(reader, timeout: float) -> float:
    """Seconds until the server closes the connection (reads until EOF)."""
    t0 = time.monotonic()
    while await asyncio.wait_for(reader.read(65536), timeout):
        pass
    return time.monotonic() - t0


async def test_stalled_body_gets_408_and_trickled_headers_are_cut():
    options = ServerOptions(read_timeout=0.5, stop_timeout=2.0)
    async with serving([("POST", "/up", OK)], options=options) as server:
        reader, writer = await raw_connect(server)
        writer.write(b"POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nshort")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 408")
        await wait_closed(reader, 5)
        writer.close()

        reader, writer = await raw_connect(server)
        writer.write(b"GET / HTTP/1.1\r\nHo")     # and never finish the headers
        await writer.drain()
        assert await wait_closed(reader, 5) < 3
        writer.close()
        # Meanwhile normal requests are served.
        async with httpx.AsyncClient(base_url=server.url) as c:
            assert (await c.post("/up", content=b"{}")).status_code == 200


async def test_silent_connection_is_closed_after_idle_timeout():
    options = ServerOptions(idle_timeout=0.3, stop_timeout=2.0)
    async with serving([("GET", "/", OK)], options=options) as server:
        reader, writer = await raw_connect(server)
        assert await wait_closed(reader, 5) < 3
        writer.close()


async def test_write_timeout_caps_the_handler():
    slow = handler("local t = os.clock(); while os.clock() - t < 5 do end; res:write('late')")
    options = ServerOptions(write_timeout=0.3, stop_timeout=2.0)
    async with serving([("GET", "/slow", slow)], options=options) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as c:
            t0 = time.monotonic()
            r = await c.get("/slow")
            assert r.status_code == 500 and r.json()["error"]["code"] == "handler_error"
            assert time.monotonic() - t0 < 3


async def test_stop_is_bounded_with_stalled_clients():
    options = ServerOptions(stop_timeout=1.0)
    async with serving([("POST", "/up", OK)], options=options) as server:
        stalled, w1 = await raw_connect(server)       # body promised, never sent
        w1.write(b"POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n")
        idle, w2 = await raw_connect(server)          # connected, silent
        async with httpx.AsyncClient(base_url=server.url) as c:
            assert (await c.post("/up", content=b"{}")).status_code == 200
        t0 = time.monotonic()
        await server.stop()
        assert time.monotonic() - t0 < 2.0
        assert await wait_closed(stalled, 2) < 2 and await wait_closed(idle, 2) < 2
        with pytest.raises(OSError):   # the listener is gone
            socket.create_connection(("127.0.0.1", w1.get_extra_info("peername")[1]),
                                     timeout=1).close()
        w1.close()
        w2.close()


async def test_bind_failure_raises_a_non_retryable_error_naming_the_address():
    async with serving([("GET", "/", OK)]) as first:
        port = first.bound[1]
        second = HttpServer("test:gw2", f"127.0.0.1:{port}", first.engine, {})
        with pytest.raises(WippyError) as info:
            await second.start()
        assert info.value.retryable is False   # stops the boot (supervisor.py)
        assert info.value.message.startswith(
            f"test:gw2: cannot listen on 127.0.0.1:{port}: Address already in use; "
            "another process is listening there")
        await second.stop()   # safe after a failed start


async def test_all_interfaces_address():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = HttpServer("test:any", f":{port}", None, {})
    await server.start()
    try:
        async with httpx.AsyncClient() as c:
            r = await c.get(f"http://127.0.0.1:{port}/nope")
            assert r.status_code == 404
    finally:
        await server.stop()


async def test_streaming_and_server_sent_events():
    chunked = handler("""
        res:set_transfer(http.TRANSFER.CHUNKED)
        res:write("one,")
        res:flush()
        res:write("two")""")
    sse = handler("""
        res:write_event({name = "tick", data = {n = 1}})
        res:write_event({name = "done", data = "bye"})
        local err = res:set_header("X-Late", "1")
        res:write(tostring(err))""")
    async with serving([("GET", "/chunked", chunked), ("GET", "/events", sse)]) as server:
        async with httpx.AsyncClient(base_url=server.url) as c:
            r = await c.get("/chunked")
            assert r.text == "one,two" and r.headers["transfer-encoding"] == "chunked"
            assert r.headers["cache-control"] == "no-cache"
            r = await c.get("/events")
            assert r.headers["content-type"] == "text/event-stream"
            assert r.text == ('event: tick\ndata: {"n":1}\n\nevent: done\ndata: "bye"\n\n'
                              "cannot set headers after they are sent")


async def test_content_type_sniffing_and_head():
    routes = [("GET", "/html", handler("res:write('<html><body>hi</body></html>')")),
              ("GET", "/text", handler("res:write('hello')")),
              ("GET", "/nocontent", handler("res:set_status(204); res:write('dropped')"))]
    async with serving(routes) as server, httpx.AsyncClient(base_url=server.url) as c:
        assert (await c.get("/html")).headers["content-type"] == "text/html; charset=utf-8"
        r = await c.get("/text")
        assert (r.headers["content-type"], r.headers["content-length"]) == (
            "text/plain; charset=utf-8", "5")
        r = await c.head("/text")
        assert (r.content, r.headers["content-length"]) == (b"", "5")
        r = await c.get("/nocontent")
        assert (r.status_code, r.content) == (204, b"")


async def test_cors_middleware():
    opts = {"cors.allow.origins": "https://app.example,*.trusted.example",
            "cors.allow.credentials": "true"}
    async with serving([("POST", "/tasks", OK)], middleware=["cors"],
                       router_options=opts) as server:
        async with httpx.AsyncClient(base_url=server.url) as c:
            r = await c.options("/tasks", headers={"Origin": "https://app.example",
                                                   "Access-Control-Request-Method": "POST"})
            assert r.status_code == 204
            assert r.headers["access-control-allow-origin"] == "https://app.example"
            assert "POST" in r.headers["access-control-allow-methods"]
            assert r.headers["access-control-allow-credentials"] == "true"
            r = await c.post("/tasks", content=b"{}", headers={"Origin": "https://x.trusted.example"})
            assert r.status_code == 200
            assert r.headers["access-control-allow-origin"] == "https://x.trusted.example"
            assert r.headers["vary"] == "Origin"
            r = await c.post("/tasks", content=b"{}", headers={"Origin": "https://evil.example"})
            assert "access-control-allow-origin" not in r.headers
            r = await c.options("/tasks", headers={"Origin": "https://evil.example",
                                                   "Access-Control-Request-Method": "POST"})
            assert r.status_code == 204 and "access-control-allow-origin" not in r.headers
            r = await c.get("/nope", headers={"Origin": "https://app.example"})
            assert r.status_code == 404 and "access-control-allow-origin" not in r.headers


async def test_concurrent_requests():
    src = handler("res:write_json({n = req:query('n')})")
    async with serving([("GET", "/n", src)]) as server:
        async with httpx.AsyncClient(base_url=server.url) as c:
            rs = await asyncio.gather(*(c.get("/n", params={"n": str(i)}) for i in range(50)))
    assert [r.json()["n"] for r in rs] == [str(i) for i in range(50)]


async def test_manual_tls(tmp_path):
    import shutil
    import ssl
    import subprocess
    if shutil.which("openssl") is None:
        pytest.skip("openssl command not available to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    options = ServerOptions(tls_cert=str(cert), tls_key=str(key), stop_timeout=2.0)
    async with serving([("GET", "/", OK)], options=options) as server:
        assert server.url.startswith("https://")
        ctx = ssl.create_default_context(cafile=str(cert))
        async with httpx.AsyncClient(base_url=server.url, verify=ctx) as c:
            r = await c.get("/")
            assert r.json() == {"ok": True}


async def _raw_exchange(server, payload: bytes, until: int, first: bytes = b"") -> bytes:
    """Send `first`, then `payload`, on one raw connection; read until `until` responses."""
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        if first:
            writer.write(first)
            await writer.drain()
            line = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert line.startswith(b"HTTP/1.1 100 Continue")
        writer.write(payload)
        await writer.drain()
        data = b""
        while data.count(b"HTTP/1.1 ") < until or not data.endswith(b"}"):
            chunk = await asyncio.wait_for(reader.read(65536), 5)
            if not chunk:
                break
            data += chunk
        return data
    finally:
        writer.close()


async def test_pipelined_requests_large_bodies_and_expect_continue():
    """The protocol's shared read buffer and coalesced writes on the raw wire."""
    src = handler("res:write_json({n = #req:body(), head = req:body():sub(1, 3)})")
    options = ServerOptions(max_body=4 << 20, stop_timeout=2.0)
    async with serving([("POST", "/echo", src)], options=options) as server:
        def post(body: bytes, extra: str = "") -> bytes:
            return (f"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\n"
                    f"{extra}\r\n").encode() + body

        # Two requests in one segment: two responses, in order.
        data = await _raw_exchange(server, post(b"abc") + post(b"defgh"), until=2)
        assert data.count(b"HTTP/1.1 200 OK") == 2
        assert data.index(b'"n":3') < data.index(b'"n":5')
        # A body larger than the read buffer (256 KiB) arrives whole, in many reads.
        big = bytes(range(256)) * 4096            # 1 MiB
        async with httpx.AsyncClient(base_url=server.url) as c:
            r = await c.post("/echo", content=big)
        assert r.json() == {"n": len(big), "head": "\x00\x01\x02"}
        # Expect: 100-continue: the interim response goes out before the body is sent.
        head = post(b"", "Expect: 100-continue\r\n").replace(b"Content-Length: 0",
                                                              b"Content-Length: 4")
        data = await _raw_exchange(server, b"wxyz", until=1, first=head)
        assert b'"n":4' in data and b'"head":"wxy"' in data


async def test_binary_bodies_are_written_byte_for_byte():
    body = bytes(range(256)) * 3
    lua_bytes = "".join(f"\\{b}" for b in body)
    routes = [("GET", "/bin", handler(f'res:set_content_type("application/octet-stream")\n'
                                      f'res:write("{lua_bytes}")'))]
    async with serving(routes) as server, httpx.AsyncClient(base_url=server.url) as c:
        r = await c.get("/bin")
        assert r.status_code == 200 and r.content == body
        assert r.headers["content-length"] == str(len(body))


async def _read_until_closed(server, payload: bytes) -> bytes:
    """Send `payload` on one raw connection and read until the server closes it."""
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(payload)
        await writer.drain()
        data = b""
        while True:
            chunk = await asyncio.wait_for(reader.read(65536), 5)
            if not chunk:
                return data
            data += chunk
    finally:
        writer.close()


async def test_connection_semantics_on_the_raw_wire():
    """Our HTTP/1.1 protocol (http/protocol.py, exchange.py): keep-alive, close, HTTP/1.0,
    HEAD without a body, and a clean 400 for garbage."""
    src = handler('res:write_json({hello = "world"})')
    async with serving([("GET", "/x", src)]) as server:
        get = b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n"
        # Keep-alive: a HEAD and a GET on one connection, the last one asks to close.
        data = await _read_until_closed(
            server, b"HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n" + get.replace(
                b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        head, rest = data.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200 OK") and b"content-length: 17" in head
        assert rest.startswith(b"HTTP/1.1 200 OK")            # HEAD sent no body
        assert b"connection: close" in rest and rest.endswith(b'{"hello":"world"}')
        # HTTP/1.0 without keep-alive: one response, then the server closes.
        data = await _read_until_closed(server, b"GET /x HTTP/1.0\r\nHost: t\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 200 OK") and b"connection: close" in data
        assert data.count(b"HTTP/1.1 ") == 1
        # Garbage: 400 with a plain-text reason, then close.
        data = await _read_until_closed(server, b"NOT HTTP AT ALL\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 400 Bad Request")
        assert data.endswith(b"Invalid HTTP request received.")
