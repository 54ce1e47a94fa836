"""The tutorial's handler files, unmodified, behind a real server (reference §5.7, D4).

`queue`, `uuid` and `sql` are small stand-ins here (tests/http/stubs.py); the
full stack is covered by tests/e2e.
"""
from pathlib import Path

import httpx
import pytest

from .helpers import serving
from .stubs import StubQueue, StubSql, StubUuid

pytestmark = pytest.mark.anyio

SRC = Path(__file__).resolve().parents[2] / "examples" / "task-queue" / "src"
CREATE = (SRC / "create_task.lua").read_text()
LIST = (SRC / "list_tasks.lua").read_text()
ROWS = [{"id": "t1", "payload": '{"x":1}', "status": "completed", "created_at": 2},
        {"id": "t2", "status": "queued", "created_at": 1}]


@pytest.fixture
async def tutorial():
    queue = StubQueue()
    mods = {"queue": queue, "uuid": StubUuid(), "sql": StubSql(ROWS)}
    routes = [("POST", "/tasks", (CREATE, ("http", "queue", "uuid"))),
              ("GET", "/tasks", (LIST, ("http", "sql")))]
    async with serving(routes, extra_modules=mods) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            yield client, queue


async def test_create_task_accepted_as_json(tutorial):
    client, queue = tutorial
    r = await client.post("/tasks", json={"action": "uppercase", "data": {"text": "hi"}})
    assert r.status_code == 202
    assert r.headers["content-type"] == "application/json"          # D4
    body = r.json()
    assert body["status"] == "queued" and len(body["id"]) == 36
    (queue_id, task), = queue.published
    assert queue_id == "app:tasks_queue"
    assert task["id"] == body["id"] and task["action"] == "uppercase"
    assert task["data"] == {"text": "hi"} and isinstance(task["created_at"], int)


async def test_create_task_without_data_publishes_empty_table(tutorial):
    client, queue = tutorial
    r = await client.post("/tasks", json={"action": "x"})
    assert r.status_code == 202
    assert queue.published[0][1]["data"] == []   # `{}` literal in Lua: an empty array


@pytest.mark.parametrize("content,expected", [
    (b"", {"error": "invalid JSON"}),
    (b"{not json", {"error": "invalid JSON"}),
    (b'{"a": NaN}', {"error": "invalid JSON"}),
    (b'"\\ud800"', {"error": "invalid JSON"}),
    (b'{"data": 1}', {"error": "action required"}),
    (b'"just a string"', {"error": "action required"}),
])
async def test_create_task_bad_input(tutorial, content, expected):
    client, queue = tutorial
    r = await client.post("/tasks", content=content, headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()) == (400, expected)
    assert r.headers["content-type"] == "application/json"
    assert queue.published == []


@pytest.mark.parametrize("content", [b"null", b"42"])
async def test_create_task_lua_error_is_a_generic_500(tutorial, content, caplog):
    client, queue = tutorial
    r = await client.post("/tasks", content=content)
    assert r.status_code == 500
    err = r.json()["error"]
    assert err["code"] == "handler_error" and err["message"] == "internal server error"
    assert r.headers["x-request-id"] == err["request_id"]
    assert "create_task" not in r.text and "index" not in r.text
    logged = [rec for rec in caplog.records
              if getattr(rec, "fields", {}).get("request_id") == err["request_id"]]
    assert len(logged) == 1
    assert "attempt to index" in logged[0].getMessage() and "test:fn0:" in logged[0].getMessage()
    assert logged[0].fields["code"] == "handler_error"
    # The connection stays usable after a 500.
    assert (await client.post("/tasks", json={"action": "a"})).status_code == 202


async def test_list_tasks(tutorial):
    client, _ = tutorial
    r = await client.get("/tasks")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json() == {"tasks": ROWS, "count": 2}
    r = await client.get("/tasks", params={"status": "queued"})
    assert r.json() == {"tasks": [ROWS[1]], "count": 1}
    r = await client.get("/tasks?status=")   # present but empty: filters on ''
    assert r.json() == {"tasks": [], "count": 0}


async def test_method_and_path_traces(tutorial):
    client, _ = tutorial
    r = await client.delete("/tasks")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    r = await client.get("/tasks/")
    assert (r.status_code, r.text) == (404, "404 page not found\n")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    r = await client.options("/tasks")
    assert r.status_code == 204 and r.content == b""
    r = await client.head("/tasks")
    assert r.status_code == 200 and r.content == b""
    assert int(r.headers["content-length"]) > 0   # the GET handler ran
