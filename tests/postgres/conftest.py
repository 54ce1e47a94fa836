import contextlib

import pytest

from wippy.sql.postgres import PostgresDatabase


def connect_args(server, database):
    return {"host": server.host, "port": server.port, "database": database,
            "user": server.user, "password": server.password}


@pytest.fixture
def pg_db(postgres_server, pg_database):
    """`async with pg_db() as db:` a started PostgresDatabase on this test's database."""
    @contextlib.asynccontextmanager
    async def factory(**kwargs):
        db = PostgresDatabase("app:db", connect_args(postgres_server, pg_database), **kwargs)
        await db.start()
        try:
            yield db
        finally:
            await db.stop()
    return factory
