"""The tutorial with every real module and kind, in-process through the Runtime.

Complements tests/e2e (which runs `wippy run`): here the `http` module is
added explicitly, so this runs even before MODULES lists it.
"""
import asyncio
import shutil
import socket
import time
from pathlib import Path

import httpx
import pytest

from wippy.registry.loader import load_entries
from wippy.registry.overrides import apply_overrides
from wippy.runtime import Runtime

from .helpers import modules

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "task-queue" / "src"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_tutorial_flow(tmp_path, monkeypatch):
    shutil.copytree(EXAMPLE, tmp_path / "src")
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path)
    port = free_port()
    entries = load_entries([tmp_path / "src"])
    apply_overrides(entries, [f"app:gateway:addr=127.0.0.1:{port}"])
    async with Runtime(entries, modules=modules()):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
            r = await c.post("/tasks", json={"action": "uppercase", "data": {"text": "hi"}})
            assert r.status_code == 202 and r.headers["content-type"] == "application/json"
            task_id = r.json()["id"]
            assert (await c.post("/tasks", content=b"")).json() == {"error": "invalid JSON"}
            deadline = time.monotonic() + 15
            while True:
                listing = (await c.get("/tasks", params={"status": "completed"})).json()
                if listing["count"] or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)   # polling interval under the deadline above
            assert listing["count"] == 1 and listing["tasks"][0]["id"] == task_id
            assert listing["tasks"][0]["result"] == '{"output":"HI"}'
            assert (await c.get("/tasks?status=")).json() == {"tasks": [], "count": 0}
