import contextlib

import pytest

from wippy.sql import Database, Settings


@pytest.fixture
def open_db(tmp_path):
    """`async with open_db() as db:` a started Database on a fresh file, stopped afterwards."""
    @contextlib.asynccontextmanager
    async def factory(name="app.db", settings=None, start=True):
        db = Database("app:db", str(tmp_path / name), settings or Settings())
        if start:
            await db.start()
        try:
            yield db
        finally:
            await db.stop()
    return factory
