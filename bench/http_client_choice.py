"""Which asyncio HTTP client backs the `http_client` Lua module: aiohttp or httpx?

Starts a small keep-alive HTTP/1.1 server in a child process on 127.0.0.1 and
sends the same GETs and 64 KiB POSTs through each client (one pooled session,
keep-alive, HTTP/1.1), sequentially and 16 at a time. Prints requests/s and the
client process's CPU time per request. Run: python bench/http_client_choice.py
"""
from __future__ import annotations

import asyncio
import multiprocessing
import socket
import time

N = 3000
BODY = b"x" * 65536


def serve(port: int) -> None:
    async def main() -> None:
        async def handle(reader, writer):
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":")[1])
                    if length:
                        await reader.readexactly(length)
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        async with server:
            await server.serve_forever()
    asyncio.run(main())


async def run(name: str, url: str, concurrency: int, post: bool) -> tuple[float, float]:
    if name == "aiohttp":
        import aiohttp
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))

        async def one():
            if post:
                async with session.post(url, data=BODY) as r:
                    await r.read()
            else:
                async with session.get(url) as r:
                    await r.read()
    else:
        import httpx
        session = httpx.AsyncClient(http2=False, limits=httpx.Limits(max_connections=100))

        async def one():
            r = await (session.post(url, content=BODY) if post else session.get(url))
            r.read()
    sem = asyncio.Semaphore(concurrency)

    async def limited():
        async with sem:
            await one()
    for _ in range(100):            # warm the pool
        await one()
    t0, c0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(limited() for _ in range(N)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    await (session.close() if name == "aiohttp" else session.aclose())
    return N / wall, cpu / N * 1e6


def main() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = multiprocessing.Process(target=serve, args=(port,), daemon=True)
    server.start()
    time.sleep(0.5)   # benchmark script only: give the child a moment to bind
    url = f"http://127.0.0.1:{port}/"
    try:
        for post in (False, True):
            for concurrency in (1, 16):
                for name in ("aiohttp", "httpx"):
                    rps, us = asyncio.run(run(name, url, concurrency, post))
                    print(f"{name:8} {'POST 64K' if post else 'GET':8} c={concurrency:<3} "
                          f"{rps:8.0f} req/s  {us:6.0f} us CPU/request")
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
