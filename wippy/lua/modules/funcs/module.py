"""The `funcs` Lua module: call other function entries by id (docs/modules/funcs.md).

A call runs the target as a call of its own on the same engine: its own modules,
imports and budget, the budget capped by what the caller has left (and by an
executor's `timeout`). Errors come back with their kind and retryable flag. Context
values (`with_context`) flow down the chain and the callee reads them with `ctx`.
Nesting is bounded (MAX_DEPTH), so a function that calls itself forever fails
clearly instead of exhausting the process.
"""
from __future__ import annotations

import asyncio
from importlib import resources
from typing import Any

from ....errors import CANCELED, INTERNAL, INVALID, NOT_FOUND, RATE_LIMITED, WippyError
from ...call import FunctionDef
from ..base import LuaModule

MAX_DEPTH = 32
MAX_PENDING = 1000   # async calls one call may have running at once (each is a task)
DEPTH, CHAIN, CONTEXT = "funcs.depth", "funcs.chain", "ctx"   # Call.extras keys
FUTURES, PENDING = "funcs.futures", "funcs.pending"            # Call.state keys
# Async calls a caller no longer waits for must not be garbage-collected mid-run.
_running: set[asyncio.Task] = set()


def _invalid(message: str) -> WippyError:
    return WippyError(message, INVALID, retryable=False)


def _target(call: Any, target: str) -> FunctionDef:
    if not target:
        raise _invalid("function target is empty")
    namespace, sep, name = target.partition(":")
    if not sep or not namespace:
        raise _invalid(f"function target {target!r} has no namespace (use namespace:name)")
    if not name:
        raise _invalid(f"function target {target!r} has no name (use namespace:name)")
    fdef = call.objects.get(target)
    if not isinstance(fdef, FunctionDef):
        raise WippyError(f"function {target} not found", NOT_FOUND, retryable=False)
    return fdef


def _args(raw: Any, n: int) -> list:
    """Arguments as a list of n values; nil arguments are holes in the Lua table."""
    if isinstance(raw, dict):
        return [raw.get(i) for i in range(1, n + 1)]
    values = list(raw or [])
    return values[:n] + [None] * (n - len(values))


def _prepare(call: Any, target: str, raw_args: Any, n: int, context: Any,
             timeout_ms: Any) -> tuple:
    """Everything a nested call needs, checked: (fdef, args, budget, extras)."""
    fdef = _target(call, target)
    depth = call.extras.get(DEPTH, 0) + 1
    chain = call.extras.get(CHAIN, (call.entry_id,)) + (fdef.entry_id,)
    if depth > MAX_DEPTH:
        shown = " -> ".join(chain[:3] + ("...",) + chain[-2:])
        raise WippyError(f"call depth limit exceeded: more than {MAX_DEPTH} nested funcs "
                         f"calls ({shown})", INTERNAL, retryable=False)
    engine = call.engine
    remaining = call.deadline - engine.loop_time()
    if remaining <= 0:
        raise WippyError("execution time limit exceeded", "Timeout", retryable=True)
    budget = min(fdef.budget or engine.budget, remaining)
    if timeout_ms:
        budget = min(budget, float(timeout_ms) / 1000.0)
    merged = dict(call.extras.get(CONTEXT) or {})
    if isinstance(context, dict):
        merged.update(context)
    extras = {DEPTH: depth, CHAIN: chain, CONTEXT: merged}
    return fdef, _args(raw_args, int(n or 0)), budget, extras


def _outcome(result: Any) -> Any:
    """The callee's first value, or its error (kind and retryable kept)."""
    if result.error is not None:
        raise result.error
    return result.first


async def call_op(call: Any, target: str, raw_args: Any = None, n: int = 0,
                  context: Any = None, timeout_ms: Any = None) -> Any:
    fdef, args, budget, extras = _prepare(call, target, raw_args, n, context, timeout_ms)
    result = await call.engine.call(fdef, args, budget=budget, extras=extras)
    return _outcome(result)


class Future:
    """One async call: its task and, once done, its value or error."""
    __slots__ = ("task", "status", "value", "error", "pending")

    def __init__(self, task: asyncio.Task, pending: set):
        self.task = task
        self.status = "pending"          # pending | done | failed | canceled
        self.value: Any = None
        self.error: WippyError | None = None
        self.pending = pending           # the caller's running futures (bounded)
        pending.add(self)
        task.add_done_callback(self._finish)

    def _finish(self, task: asyncio.Task) -> None:
        _running.discard(task)
        self.pending.discard(self)
        if self.status == "canceled":
            return
        if task.cancelled():
            self.status, self.error = "canceled", WippyError("call canceled", CANCELED, False)
            return
        try:
            self.value = _outcome(task.result())
            self.status = "done"
        except WippyError as exc:
            self.status, self.error = "failed", exc


async def async_op(call: Any, target: str, raw_args: Any = None, n: int = 0,
                   context: Any = None, timeout_ms: Any = None) -> int:
    futures = call.state.setdefault(FUTURES, [])
    pending = call.state.setdefault(PENDING, set())
    if len(pending) >= MAX_PENDING:
        raise WippyError(f"too many async calls running ({MAX_PENDING}); wait for some "
                         "first", RATE_LIMITED, retryable=True)
    fdef, args, budget, extras = _prepare(call, target, raw_args, n, context, timeout_ms)
    task = asyncio.ensure_future(call.engine.call(fdef, args, budget=budget, extras=extras))
    _running.add(task)
    futures.append(Future(task, pending))
    return len(futures)


def _future(call: Any, fid: Any) -> Future:
    futures = call.state.get(FUTURES) or []
    if not isinstance(fid, int) or not 1 <= fid <= len(futures):
        raise _invalid("unknown future")
    return futures[fid - 1]


async def wait_op(call: Any, fid: int) -> bool:
    future = _future(call, fid)
    if future.status == "pending":
        # asyncio.wait, not await: a caller that stops waiting (its deadline) leaves the
        # callee running to its own budget.
        await asyncio.wait([future.task])
    return True


def status(call: Any, fid: Any) -> str:
    return _future(call, fid).status


def result(call: Any, fid: Any) -> tuple:
    future = _future(call, fid)
    if future.status == "pending":
        return "pending", None, None
    if future.error is not None:
        return future.status, None, call.error(future.error)
    return future.status, call.to_lua(future.value), None


def cancel(call: Any, fid: Any) -> bool:
    future = _future(call, fid)
    if future.status != "pending":
        return False
    future.status, future.error = "canceled", WippyError("call canceled", CANCELED, False)
    # Host functions may run on a worker thread: the task is cancelled on its loop.
    future.task.get_loop().call_soon_threadsafe(future.task.cancel)
    return True


class FuncsModule(LuaModule):
    name = "funcs"
    effects = ("call", "async", "cancel")   # a called function may change anything
    lua = resources.files(__package__).joinpath("funcs.lua").read_text()

    def host_functions(self) -> dict[str, Any]:
        return {"status": status, "result": result, "cancel": cancel}

    def async_ops(self) -> dict[str, Any]:
        return {"funcs.call": call_op, "funcs.async": async_op, "funcs.wait": wait_op}
