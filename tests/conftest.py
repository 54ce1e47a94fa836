"""Shared by every test: the async backend. Wait helpers live in tests/polling.py, e2e
process helpers in tests/e2e/conftest.py. Soak tests (`-m slow`) are opt-in: see
pyproject.toml's addopts."""
import pytest


@pytest.fixture
def anyio_backend():
    return "asyncio"
