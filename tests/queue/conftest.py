import dataclasses

import pytest

from .drivers import DRIVER_CASES


@pytest.fixture(params=DRIVER_CASES, ids=lambda case: case.name)
def driver_case(request):
    case = request.param
    if case.broker:
        # A broker-backed driver: the session's RabbitMQ (skipped when not installed), and
        # each driver made gets a vhost of its own, so it starts empty like the others.
        server = request.getfixturevalue("rabbitmq_server")
        return dataclasses.replace(case, make=lambda tmp_path: case.make_on(server.next_vhost_url()))
    return case
