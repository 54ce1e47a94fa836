"""Explicit transactions and prepared statements.

A read-write transaction holds the writer thread from `BEGIN IMMEDIATE` to
commit/rollback (other writes queue behind it; reads keep running on the
readers). A read-only transaction gets a private reader connection and a
consistent snapshot, and blocks nobody.

Use `async with await db.begin() as tx:` from Python: it commits on success
and rolls back on an exception. Lua calls roll back automatically when the
call ends (see wippy/lua/modules/sql/module.py).
"""
from __future__ import annotations

import asyncio
from typing import Any, Protocol

from ..errors import INVALID, WippyError
from .errors import TX_NOT_ACTIVE, tx_not_active
from .statements import check_savepoint, check_sql, explain
from .threads import CHECK, COMMIT, EXEC, QUERY, RAW, ROLLBACK, STOP, Op
from .values import params_list


class Owner(Protocol):
    """What a transaction needs from its database (database.py imports this module,
    so it is described here instead of imported back)."""
    type: str
    loop: asyncio.AbstractEventLoop | None

    def transaction_ended(self, tx: "Transaction") -> None: ...


class Transaction:
    """A transaction on one Database; see the module doc."""

    def __init__(self, db: Owner, thread: Any, read_only: bool, private: bool):
        self.db = db
        self.read_only = read_only
        self.active = True
        self._thread = thread        # the writer, or a private reader thread
        self._private = private      # the thread ends with the transaction

    @property
    def type(self) -> str:
        return self.db.type

    def db_type(self) -> str:
        return self.db.type

    async def _op(self, kind: str, sql: str = "", params: Any = (),
                  deadline: float | None = None) -> Any:
        if not self.active:
            raise tx_not_active()
        fut = self.db.loop.create_future()
        self._thread.put(Op(kind, fut, sql, params, deadline, tx=self))
        try:
            return await fut
        except WippyError as exc:
            if exc.message == TX_NOT_ACTIVE:
                self._finish()
            raise

    async def query(self, sql: str, params: Any = None, *,
                    deadline: float | None = None) -> list[dict]:
        check_sql(sql)
        return await self._op(QUERY, sql, params_list(params), deadline)

    async def execute(self, sql: str, params: Any = None, *,
                      deadline: float | None = None) -> dict:
        check_sql(sql)
        return await self._op(EXEC, sql, params_list(params), deadline)

    async def prepare(self, sql: str) -> "Statement":
        check_sql(sql)
        await self._op(CHECK, explain(sql))
        return Statement(self, sql)

    async def savepoint(self, name: str) -> bool:
        return await self._op(RAW, f"SAVEPOINT {check_savepoint(name)}")

    async def rollback_to(self, name: str) -> bool:
        return await self._op(RAW, f"ROLLBACK TO SAVEPOINT {check_savepoint(name)}")

    async def release(self, name: str) -> bool:
        return await self._op(RAW, f"RELEASE SAVEPOINT {check_savepoint(name)}")

    async def commit(self) -> bool:
        return await self._end(COMMIT)

    async def rollback(self) -> bool:
        return await self._end(ROLLBACK)

    async def _end(self, kind: str) -> bool:
        if not self.active:
            raise tx_not_active()
        try:
            if self._private:
                return await self._op(RAW, "COMMIT" if kind == COMMIT else "ROLLBACK")
            return await self._op(kind)
        finally:
            self._finish()

    def _finish(self) -> None:
        if not self.active:
            return
        self.active = False
        if self._private:
            self._thread.put(Op(STOP, None))
        self.db.transaction_ended(self)

    def private_thread(self) -> Any:
        """The reader thread this transaction owns and ends with, or None (the writer)."""
        return self._thread if self._private else None

    async def __aenter__(self) -> "Transaction":
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if not self.active:
            return
        if exc_type is None:
            await self.commit()
        else:
            await self.rollback()


class Statement:
    """A validated SQL string bound to a Database or a Transaction."""

    def __init__(self, owner: Any, sql: str):
        self.owner = owner
        self.sql = sql
        self.closed = False

    def _check(self) -> None:
        if self.closed:
            raise WippyError("statement is closed", INVALID, retryable=False)

    async def query(self, params: Any = None, *, deadline: float | None = None) -> list[dict]:
        self._check()
        return await self.owner.query(self.sql, params, deadline=deadline)

    async def execute(self, params: Any = None, *, deadline: float | None = None) -> dict:
        self._check()
        return await self.owner.execute(self.sql, params, deadline=deadline)

    async def close(self) -> bool:
        self.closed = True
        return True
