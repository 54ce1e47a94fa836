import pytest

from .drivers import DRIVER_CASES


@pytest.fixture(params=DRIVER_CASES, ids=lambda case: case.name)
def driver_case(request):
    return request.param
