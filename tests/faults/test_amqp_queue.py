"""The unmodified tutorial on `queue.driver.amqp` (`-o` switches the driver and gives the
broker's URL), as real `wippy run` processes on the session's RabbitMQ node: it answers as on
memory, two nodes share the work, and a node killed mid-handler leaves its unacked task to
the other."""
from __future__ import annotations

import httpx
import pytest

from .harness import FaultProcess, db_ids, free_port, logged_ids, make_project, post_task
from .harness import set_handler_sleep, wait_logged, wait_until

pytestmark = pytest.mark.e2e


def amqp(url: str) -> list[str]:
    return ["-o", "app:queue_driver:kind=queue.driver.amqp", "-o", f"app:queue_driver:url={url}"]


def burst(proc: FaultProcess, n: int) -> list[str]:
    with httpx.Client(base_url=proc.url, timeout=10) as client:
        responses = [post_task(client, {"action": "uppercase", "data": {"text": f"n{i}"}})
                     for i in range(n)]
    assert all(r.status_code == 202 for r in responses), [r.status_code for r in responses]
    return [r.json()["id"] for r in responses]


def test_the_tutorial_runs_on_rabbitmq(tmp_path, amqp_url):
    project = make_project(tmp_path)
    proc = FaultProcess(project, free_port(), amqp(amqp_url))
    try:
        proc.wait_ready()
        ids = burst(proc, 20)
        wait_until(lambda: set(ids) <= db_ids(project), 30, message="all 20 stored")
        [done] = wait_logged([proc], "task completed", ids)   # logged after the commit
        assert sorted(done) == sorted(ids)                      # each once, none other
        assert proc.stop() == 0, proc.logs
    finally:
        proc.kill()


def test_two_nodes_on_one_broker_share_the_work(tmp_path, amqp_url):
    project = make_project(tmp_path)
    set_handler_sleep(project, "20ms")
    a = FaultProcess(project, free_port(), amqp(amqp_url))
    b = FaultProcess(project, free_port(), amqp(amqp_url))
    try:
        a.wait_ready()
        b.wait_ready()
        ids = burst(a, 100) + burst(b, 100)
        wait_until(lambda: set(ids) <= db_ids(project), 60, message="all 200 stored")
        done_a, done_b = wait_logged([a, b], "task completed", ids)   # logged after the commit
        assert done_a and done_b, "one node did all the work"
        assert set(done_a) | set(done_b) == set(ids)
        assert len(done_a) + len(done_b) == len(ids), "a task was handled twice"
        assert a.stop() == 0 and b.stop() == 0
    finally:
        a.kill()
        b.kill()


def test_a_node_killed_mid_handler_leaves_its_task_to_the_other(tmp_path, amqp_url):
    project = make_project(tmp_path)
    # Long enough that the kill lands while the handler sleeps, and under the handlers'
    # 5 s execution limit.
    set_handler_sleep(project, "4s")
    a = FaultProcess(project, free_port(), amqp(amqp_url))
    b = FaultProcess(project, free_port(), amqp(amqp_url))
    try:
        # Both nodes consume before the task is published, so no node boots while the
        # handler runs (a boot took over 4 s on a loaded machine): the broker hands the
        # task to one of them, and that one is killed.
        a.wait_ready()
        b.wait_ready()
        [task] = burst(a, 1)

        def busy_and_other():
            for busy, other in ((a, b), (b, a)):
                if task in logged_ids(busy.lines, "processing task"):
                    return busy, other
            return None
        busy, other = wait_until(busy_and_other, 10, message="the handler started on a node")
        busy.kill()                    # SIGKILL: its channel drops with the task unacked
        assert task not in db_ids(project), "it finished before the kill: the test proves nothing"
        wait_until(lambda: task in db_ids(project), 30,
                   message="redelivered to the other node and stored")
        wait_logged([other], "processing task", [task])   # the other node handled it
        assert other.stop() == 0, other.logs
    finally:
        a.kill()
        b.kill()
