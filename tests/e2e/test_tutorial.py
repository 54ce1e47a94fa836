"""The task-queue tutorial, exactly as it says, against a real `wippy run`."""
from __future__ import annotations

import json
import signal
import uuid

import httpx

from .conftest import wait_until


def post_task(client, body) -> httpx.Response:
    return client.post("/tasks", content=json.dumps(body),
                       headers={"Content-Type": "application/json"})


def completed(client, n):
    def check():
        data = client.get("/tasks", params={"status": "completed"}).json()
        return data if data["count"] >= n else None
    return wait_until(check, 15, message=f"{n} completed tasks")


def test_post_returns_202_with_uuid4_as_json(client):
    r = post_task(client, {"action": "uppercase", "data": {"text": "hello world"}})
    assert r.status_code == 202
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["status"] == "queued"
    assert uuid.UUID(body["id"]).version == 4


def test_uppercase_task_is_processed_and_listed(client):
    task_id = post_task(client, {"action": "uppercase", "data": {"text": "hello world"}}).json()["id"]
    data = completed(client, 1)
    assert data["count"] == 1
    task = data["tasks"][0]
    assert task["id"] == task_id
    assert task["status"] == "completed"
    assert json.loads(task["result"]) == {"output": "HELLO WORLD"}
    payload = json.loads(task["payload"])
    assert payload["action"] == "uppercase" and payload["data"] == {"text": "hello world"}
    assert isinstance(task["created_at"], int) and isinstance(task["processed_at"], int)


def test_sum_keeps_integers_and_unknown_actions_are_processed(client):
    post_task(client, {"action": "sum", "data": {"numbers": [1, 2, 3, 4]}})
    post_task(client, {"action": "sum", "data": {"numbers": [1.5, 2]}})
    post_task(client, {"action": "frobnicate"})
    data = completed(client, 3)
    results = sorted(task["result"] for task in data["tasks"])
    assert results == sorted(['{"output":10}', '{"output":3.5}', '{"output":"processed"}'])
    no_data = [t for t in data["tasks"] if json.loads(t["payload"])["action"] == "frobnicate"][0]
    assert json.loads(no_data["payload"])["data"] == []   # `body.data or {}` encodes as []


def test_list_is_newest_first_and_filters_by_status(client):
    assert client.get("/tasks").json() == {"tasks": [], "count": 0}
    for i in range(3):
        post_task(client, {"action": "uppercase", "data": {"text": f"t{i}"}})
    data = completed(client, 3)
    created = [t["created_at"] for t in data["tasks"]]
    assert created == sorted(created, reverse=True)
    assert client.get("/tasks", params={"status": "pending"}).json() == {"tasks": [], "count": 0}
    assert client.get("/tasks?status=").json()["count"] == 0


def test_malformed_json_and_missing_action_answer_400(client):
    r = client.post("/tasks", content="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json() == {"error": "invalid JSON"}
    r = client.post("/tasks", content="", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json() == {"error": "invalid JSON"}
    r = post_task(client, {"data": {}})
    assert r.status_code == 400 and r.json() == {"error": "action required"}


def test_routing_404_405_head_options(client):
    r = client.delete("/tasks")
    assert r.status_code == 405
    assert set(x.strip() for x in r.headers["allow"].split(",")) >= {"GET", "POST", "OPTIONS"}
    r = client.get("/tasks/")
    assert r.status_code == 404 and r.text == "404 page not found\n"
    assert client.options("/tasks").status_code == 204
    r = client.head("/tasks")
    assert r.status_code == 200 and r.content == b""


def test_sigterm_stops_cleanly_with_exit_code_0(wippy, client):
    post_task(client, {"action": "uppercase", "data": {"text": "x"}})
    completed(client, 1)
    wippy.signal(signal.SIGTERM)
    assert wippy.wait(30) == 0, wippy.logs


def test_sigint_stops_cleanly_with_exit_code_0(wippy):
    wippy.signal(signal.SIGINT)
    assert wippy.wait(30) == 0, wippy.logs


def test_migration_runs_once_and_is_not_restarted(wippy, client):
    completed_logs = lambda: "migration complete" in wippy.logs
    wait_until(completed_logs, 10, message="migration complete in logs")
    assert wippy.logs.count("migration complete") == 1
