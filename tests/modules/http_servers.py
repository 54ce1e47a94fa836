"""Real HTTP/1.1 servers on 127.0.0.1 for the `http_client` tests (asyncio streams).

Routes: /hello, /echo, /bin, /chunked, /slow (headers, then a stalled body),
/silent (never answers), /huge (a body larger than any limit, sent as fast as the
client reads), /huge-chunked (the same without Content-Length), /redirect
(-> /hello), /size/N (N bytes), /loop (redirects to itself), /to-private (-> http://127.0.0.2/).
"""
from __future__ import annotations

import asyncio
import datetime
import json
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HUGE = 200 << 20


async def _read_request(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = b""
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    return method, target, headers, body


def _response(status: int, body: bytes = b"", headers: dict | None = None) -> bytes:
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _handle(reader, writer, stats):
    stats["connections"] += 1
    try:
        while True:
            method, target, headers, body = await _read_request(reader)
            stats["requests"] += 1
            path = target.split("?")[0]
            if path == "/hello":
                head = {"X-Test": "yes", "Set-Cookie": "session=abc; Path=/", "content-type": "text/plain"}
                if method == "HEAD":      # the length of the body a GET would get, and no body
                    writer.write(_response(200, b"hello", head)[:-5])
                else:
                    writer.write(_response(200, b"hello", head))
            elif path == "/echo":
                data = {"method": method, "target": target, "headers": headers,
                        "body": body.decode("latin-1"), "body_hex": body.hex()}
                writer.write(_response(200, json.dumps(data).encode()))
            elif path == "/bin":
                writer.write(_response(200, bytes(range(256))))
            elif path == "/chunked":
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                for part in (b"one,", b"two,", b"three"):
                    writer.write(b"%x\r\n%s\r\n" % (len(part), part))
                    await writer.drain()
                writer.write(b"0\r\n\r\n")
            elif path == "/slow":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
                await writer.drain()
                await asyncio.Event().wait()          # until the client goes away
            elif path == "/silent":
                await asyncio.Event().wait()
            elif path in ("/huge", "/huge-chunked"):
                chunked = path == "/huge-chunked"
                writer.write(b"HTTP/1.1 200 OK\r\n" + (b"Transfer-Encoding: chunked\r\n\r\n" if chunked
                             else b"Content-Length: %d\r\n\r\n" % HUGE))
                block = b"x" * 65536
                for _ in range(HUGE // len(block)):
                    writer.write(b"10000\r\n" + block + b"\r\n" if chunked else block)
                    stats["sent"] += len(block)
                    await writer.drain()
                if chunked:
                    writer.write(b"0\r\n\r\n")
            elif path.startswith("/size/"):
                writer.write(_response(200, b"s" * int(path[6:])))
            elif path == "/redirect":
                writer.write(_response(302, b"", {"Location": "/hello"}))
            elif path == "/loop":
                writer.write(_response(302, b"", {"Location": "/loop"}))
            elif path == "/to-private":
                writer.write(_response(302, b"", {"Location": "http://127.0.0.2:9/"}))
            else:
                writer.write(_response(404, b"nope"))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


class Server:
    """`async with Server() as srv:` serves on 127.0.0.1; `srv.url`, `srv.stats`."""

    def __init__(self, tls: ssl.SSLContext | None = None):
        self.tls = tls
        self.stats = {"connections": 0, "requests": 0, "sent": 0}

    async def __aenter__(self) -> "Server":
        self.tasks: set[asyncio.Task] = set()

        def connected(reader, writer):
            task = asyncio.ensure_future(_handle(reader, writer, self.stats))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

        self.server = await asyncio.start_server(connected, "127.0.0.1", 0, ssl=self.tls)
        port = self.server.sockets[0].getsockname()[1]
        self.url = f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.server.wait_closed()


def self_signed(tmp: Path) -> tuple[ssl.SSLContext, str]:
    """A server TLS context for 127.0.0.1 with a fresh self-signed cert, and its PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wippy-test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    import ipaddress
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    (tmp / "cert.pem").write_text(pem)
    (tmp / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    return ctx, pem
