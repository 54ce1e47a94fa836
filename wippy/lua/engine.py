"""The only bridge between Lua coroutines and asyncio.

`call()` runs a Lua function as a coroutine: first on the event loop's own Lua
state (a step there is stopped after `INLINE_SLICE`, and its entry moves for good
to the worker threads), or on a worker thread for entries that were moved or
asked for it (processes). When Lua needs to wait (SQL, sleep, a full queue) it
yields a host request; the engine awaits the module's async op on the loop and
resumes the coroutine with the result. Host requests are recognised by a per-state secret token,
so user code cannot forge them.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

from ..aio import run_until
from ..errors import INTERNAL, INVALID, TIMEOUT, WippyError
from . import gcpause
from .call import Call, CallResult, FunctionDef, LibraryDef
from .modules.base import LuaModule
from .typed import TypedLuaSyntaxError
from .typed import compile as compile_typed
from .worker import CANCEL, RESUME, START, LuaWorker
from ..ops.observe import observe_engine

log = logging.getLogger("wippy.lua")

# "app:create_task:22: attempt to ..." -> entry id, line (ids are ns:name, names may hold ".")
_CHUNK_LINE = re.compile(r"([\w.-]+:[\w.-]+):(\d+):")

DEFAULT_BUDGET = 5.0
HARD_GRACE = 2.0          # a step still running this long past its deadline is stuck
BUSY_THRESHOLD = 0.05     # a worker running one step longer than this is "busy"
INLINE_SLICE = 0.02       # a step on the event loop is stopped after this long,
                          # not counting CPython GC pauses (gcpause.py)


class LuaEngine:
    def __init__(self, objects: dict | None = None, modules: dict[str, LuaModule] | None = None,
                 workers: int = 2, max_workers: int = 8, max_memory: int = 64 << 20,
                 budget: float = DEFAULT_BUDGET, inline: bool = True):
        if modules is None:
            from .modules import MODULES
            modules = MODULES
        self.objects = objects if objects is not None else {}
        self.modules = modules
        self.budget = budget
        self._n_workers = max(1, workers)
        self._max_workers = max(self._n_workers, max_workers)
        self._max_memory = max_memory
        self._workers: list[LuaWorker] = []
        self._ops: dict[str, Any] = {}
        self._op_effects: dict[str, bool] = {}
        self._self_timed: set[str] = set()   # ops that honour call.deadline themselves
        for module in modules.values():
            ops = module.async_ops()
            self._ops.update(ops)
            self._self_timed.update(getattr(module, "self_timed", ()))
            prefixes = getattr(module, "effects", ("",))
            for name in ops:
                self._op_effects[name] = name.partition(".")[2].startswith(prefixes)
        self.inline = inline
        self._inline: LuaWorker | None = None
        self._inline_states: dict[str, LuaWorker] = {}   # named loop states (see _inline_for)
        self._offloaded: set[str] = set()   # entries moved off the event loop
        self._source_files: dict[str, str] = {}   # entry id -> file its source came from
        self._checker = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._rr = 0

    # ------------------------------------------------------------ setup
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        gcpause.install()   # collector pauses do not count against inline slices
        for _ in range(self._n_workers):
            await self._add_worker()
        if self.inline:
            self._inline = LuaWorker(-1, self.modules, self._max_memory, self._loop)
            self._inline.boot_inline()
        observe_engine(self)   # Prometheus on: calls counted and timed (wippy/ops/)

    async def _add_worker(self) -> LuaWorker:
        worker = LuaWorker(len(self._workers), self.modules, self._max_memory, self._loop)
        await asyncio.to_thread(worker.start)
        self._workers.append(worker)
        return worker

    async def close(self) -> None:
        for worker in self._workers:
            worker.close()
        for worker in self._workers:
            if not worker.stuck:
                await asyncio.to_thread(worker.thread.join, 5.0)
        self._workers.clear()

    def check_source(self, source: Any, chunk_name: str) -> str | None:
        """Syntax-check Lua source without running it. Returns the error or None."""
        if self._checker is None:
            import lupa.lua54 as lupa
            self._checker = lupa.LuaRuntime(register_eval=False, register_builtins=False)
            self._check_fn = self._checker.eval(
                "function(src, name) if type(src) ~= 'string' then return 'source must be a string' end "
                "if src:sub(1, 4) == '\\27Lua' then return 'attempt to load a binary chunk "
                "(only Lua source is allowed)' end "
                "local f, err = load(src, '=' .. name, 't', {}) return err end")
        if isinstance(source, bytes):
            return "attempt to load a binary chunk (only Lua source is allowed)"
        if isinstance(source, str):
            try:
                source = compile_typed(source, chunk_name)
            except TypedLuaSyntaxError as exc:
                return exc.one_line()   # one line per problem in `wippy check`
        return self._check_fn(source, chunk_name)

    def define(self, entry_id: str, source: str, method: str, modules: list[str] | tuple = (),
               budget: float | None = None, inline: bool = True,
               imports: dict[str, LibraryDef] | None = None,
               source_file: str | None = None) -> FunctionDef:
        """`imports`: alias -> library (see `library`), reached with `require(alias)`.
        `source_file`: the file the source came from, named in errors instead of the id."""
        self._check_modules(modules)
        self._name_source(entry_id, source_file)
        # Typed Lua (docs/lua-types.md) is compiled here, once per definition: calls
        # and workers only ever see plain Lua, with every line where the user wrote it.
        if isinstance(source, str):
            source = compile_typed(source, entry_id)
        return FunctionDef(entry_id, source, method or "", tuple(modules), budget, inline,
                           tuple(sorted((imports or {}).items())))

    def library(self, entry_id: str, source: str, modules: list[str] | tuple = (),
                imports: dict[str, LibraryDef] | None = None,
                source_file: str | None = None) -> LibraryDef:
        """A library.lua entry: its own modules and imports, nothing of its importers'."""
        self._check_modules(modules)
        self._name_source(entry_id, source_file)
        if isinstance(source, str):
            source = compile_typed(source, entry_id)
        return LibraryDef(entry_id, source, tuple(modules), tuple(sorted((imports or {}).items())))

    def _name_source(self, entry_id: str, source_file: str | None) -> None:
        """Lua names a chunk by its entry id ("app:create_task:22: ..."); a raised error
        that starts there is reported with the user's file instead (src/create_task.lua:22)."""
        if source_file:
            self._source_files[entry_id] = source_file

    def where(self, message: str) -> str:
        """`message` with a leading "<entry id>:<line>:" replaced by "<file>:<line>:"."""
        m = _CHUNK_LINE.match(message)
        if m:
            path = self._source_files.get(m.group(1))
            if path:
                return f"{path}:{m.group(2)}:{message[m.end():]}"
        return message

    def _check_modules(self, modules: list[str] | tuple) -> None:
        unknown = [m for m in modules if m not in self.modules]
        if unknown:
            raise ValueError(f"unknown module {unknown[0]!r}; available: "
                             f"{', '.join(sorted(self.modules))}")

    def loop_time(self) -> float:
        """The event loop's clock (no get_running_loop() lookup, a syscall in 3.11)."""
        return self._loop.time()

    # ------------------------------------------------------------ calls
    def _pick(self) -> LuaWorker:
        now = time.monotonic()
        best = None
        for i in range(len(self._workers)):
            w = self._workers[(self._rr + i) % len(self._workers)]
            if w.stuck or (w.busy_since and now - w.busy_since > BUSY_THRESHOLD):
                continue
            if best is None or w.pending < best.pending:
                best = w
                if w.pending == 0:
                    break
        self._rr += 1
        return best

    async def _worker(self) -> LuaWorker:
        worker = self._pick()
        if worker is None:
            if len(self._workers) < self._max_workers:
                return await self._add_worker()
            live = [w for w in self._workers if not w.stuck] or self._workers
            worker = min(live, key=lambda w: w.pending)
        return worker

    async def call(self, fdef: FunctionDef, args: Any = (), *, http: Any = None,
                   delivery: Any = None, budget: float | None = None,
                   extras: dict | None = None) -> CallResult:
        """Run `fdef` with `args` (plain data) and return its result as plain data.

        Calls run on the event loop's own Lua state first: no thread hop, no
        GIL hand-off. A step that runs longer than INLINE_SLICE there is stopped
        and its entry moves to the worker threads for good; the call is re-run
        there if it had no effect yet (else it fails as Unavailable, retryable).
        """
        if self._loop is None:
            raise RuntimeError("LuaEngine.start() was not awaited")
        budget = budget or fdef.budget or self.budget
        inline = (self._inline is not None and fdef.inline
                  and fdef.entry_id not in self._offloaded)
        call = Call(fdef, self.objects, self._loop.time() + budget, http, delivery, extras)
        call.engine = self
        worker = self._inline_for(extras) if inline else await self._worker()
        try:
            # Inline steps are plain calls: no coroutine per step.
            start = (fdef, args, call.deadline)
            if inline:
                outcome = worker.run_inline(call, START, start, INLINE_SLICE)
            else:
                outcome = await self._await_step(call, worker.submit(call, START, start))
            while outcome.op is not None:
                resume = await self._run_op(call, outcome)
                if inline:
                    outcome = worker.run_inline(call, RESUME, resume, INLINE_SLICE)
                else:
                    outcome = await self._await_step(call, worker.submit(call, RESUME, resume))
        except WippyError as exc:   # the step missed its hard deadline
            return CallResult([], exc, raised=True)
        except asyncio.CancelledError:
            if inline:
                worker.release(call)
            else:
                worker.submit(call, CANCEL, None)   # release the Lua side on its own thread
            raise
        finally:
            if call.deferred:   # most calls defer nothing: skip the method call
                pending = call.run_deferred()
                if pending is not None:
                    await pending
        ok, value = outcome.result
        if inline and not ok and isinstance(value, dict) and value.get("preempted"):
            self._offload(fdef, worker.step_budget or INLINE_SLICE)
            if not call.effects:
                # The class's call, not self.call: an observing wrapper (wippy/ops/)
                # has already counted this call once.
                return await LuaEngine.call(self, fdef, args, http=http, delivery=delivery,
                                            budget=budget, extras=extras)
        return self._result(call, outcome.result)

    def _inline_for(self, extras: dict | None) -> LuaWorker:
        """The loop's Lua state for this call: the shared one, or the one named by
        `extras["lua_state"]` (made on first use, capped at `extras["lua_state_memory"]`,
        its steps stopped after `extras["lua_state_budget"]` of their own time if given).
        Processes have their own: thousands of idle coroutines in the state HTTP
        handlers use would fill its memory cap and make every collection there walk them
        (docs/process-model.md)."""
        name = extras.get("lua_state") if extras else None
        if name is None:
            return self._inline
        worker = self._inline_states.get(name)
        if worker is None:
            memory = extras.get("lua_state_memory") or self._max_memory
            worker = LuaWorker(-2 - len(self._inline_states), self.modules, memory, self._loop)
            worker.boot_inline()
            worker.step_cpu_clock = True   # charged exactly: a process stopped ends
            worker.step_budget = extras.get("lua_state_budget")
            self._inline_states[name] = worker
        return worker

    def _offload(self, fdef: FunctionDef, budget: float = INLINE_SLICE) -> None:
        if fdef.entry_id not in self._offloaded:
            self._offloaded.add(fdef.entry_id)
            log.warning("%s ran longer than %d ms on the event loop; it runs on worker "
                        "threads from now on", fdef.entry_id, round(budget * 1000))

    async def _await_step(self, call: Call, fut: asyncio.Future) -> Any:
        remaining = call.deadline - self._loop.time() + HARD_GRACE
        try:
            # Not asyncio.wait_for: on Python 3.11 it returns the result and drops a
            # cancellation that arrives as the step finishes (gh-86296), and a step on
            # a thread finishes all the time: a killed process went on running.
            async with asyncio.timeout(max(remaining, 0.1)):
                return await asyncio.shield(fut)
        except asyncio.TimeoutError:
            # The Lua hook did not stop the step (a long C call): abandon the worker.
            worker = call.worker
            worker.stuck = True
            log.error("Lua worker %d is stuck in %s past its deadline; abandoning it",
                      worker.index, call.entry_id)
            raise WippyError("execution time limit exceeded", TIMEOUT) from None

    async def _run_op(self, call: Call, outcome: Any) -> tuple[bool, Any]:
        op = self._ops.get(outcome.op)
        if op is None:
            msg = (outcome.args[0] if outcome.op == "__invalid__"
                   else f"unknown host operation {outcome.op!r}")
            return False, WippyError(msg, INVALID).to_plain()
        if self._op_effects.get(outcome.op, True):
            call.effects = True
        try:
            if call.deadline <= self._loop.time():
                raise asyncio.TimeoutError
            # Ops that finish without waiting (most do) pay for no timer; ops that
            # stop at the deadline themselves are awaited as they are.
            if outcome.op in self._self_timed:
                return True, await op(call, *outcome.args)
            return True, await run_until(op(call, *outcome.args), call.deadline)
        except WippyError as exc:
            return False, exc.to_plain()
        except asyncio.TimeoutError:
            return False, WippyError("execution time limit exceeded", TIMEOUT).to_plain()
        except Exception:
            log.exception("host operation %s failed in %s", outcome.op, call.entry_id)
            return False, WippyError(f"internal error in {outcome.op}", INTERNAL).to_plain()

    def _result(self, call: Call, result: tuple[bool, Any]) -> CallResult:
        ok, value = result
        if not ok:
            if isinstance(value, dict):
                err = WippyError(str(value.get("message", "")), value.get("kind") or INTERNAL,
                                 value.get("retryable"))
            elif isinstance(value, WippyError):
                err = value
            else:
                err = WippyError(str(value), INTERNAL)
            if self._source_files:
                err.message = self.where(err.message)
            return CallResult([], err, raised=True)
        values = value if isinstance(value, list) else []
        err = None
        if len(values) >= 2 and values[1] is not None:
            second = values[1]
            err = second if isinstance(second, WippyError) else (
                WippyError(second, INTERNAL, retryable=False) if isinstance(second, str) else None)
        return CallResult(values, err, raised=False)
