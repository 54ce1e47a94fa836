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


@pytest.fixture(params=["sqlite", "postgres"])
def db_driver(request, tmp_path):
    """Runs the test once per driver (tests/sql/drivers.py). The PostgreSQL run asks for the
    session's server only then, so it skips (or fails under CI) as tests/postgres does."""
    from .drivers import Driver
    if request.param == "sqlite":
        return Driver("sqlite", tmp_path)
    return Driver("postgres", tmp_path, request.getfixturevalue("postgres_server"),
                  request.getfixturevalue("pg_database"))
