"""A Lua worker: one sandboxed Lua state, driven either on the event loop or by a thread.

Many calls can be alive in one state at once, each as a coroutine; one step
(resume until the next yield) runs at a time. The engine's first worker is the
*inline* one (`boot_inline`, `run_inline`): it lives on the event loop thread and
runs steps there directly, no thread hop, for at most `INLINE_SLICE` per step.
The others each own a thread (`submit()`); lupa releases the GIL while Lua runs
there, so a CPU-bound handler that was moved off the loop costs a core, not the
server's responsiveness.

Steps are queued with `submit()`; finished steps are handed back to the
loop in batches (one `call_soon_threadsafe` per burst, not per step).
"""
from __future__ import annotations

import asyncio
import logging
import queue
import secrets
import threading
import time
from importlib import resources
from typing import Any

import lupa.lua54 as lupa

from ..errors import INTERNAL, WippyError
from . import gcpause
from .call import Call
from .collector import LoopCollector
from .convert import ConversionError, Converter
from .libraries import StateLibraries
from .modules.base import LuaModule, LuaRaise

log = logging.getLogger("wippy.lua")

BOOT_SOURCE = resources.files("wippy.lua").joinpath("boot.lua").read_text()
PATTERNS_SOURCE = resources.files("wippy.lua").joinpath("patterns.lua").read_text()
JSON_TEXT_SOURCE = resources.files("wippy.lua.modules.json").joinpath("json_text.lua").read_text()
TYPES_SOURCE = resources.files("wippy.lua.typed").joinpath("types.lua").read_text()
REFLECT_SOURCE = resources.files("wippy.lua.typed").joinpath("reflect.lua").read_text()
LUA53_SOURCE = resources.files("wippy.lua.typed").joinpath("lua53.lua").read_text()
HOOK_COUNT = 10_000
# The most a step's slice is extended past its wall-clock end for time the step did
# not run itself (collector pauses, the GIL, the OS; LuaWorker.slice_after).
SLICE_GRACE = 0.25

START, RESUME, CANCEL = "start", "resume", "cancel"
RESUMED = "resumed"   # a resume whose value is already a Lua value (run_inline)
_LEVELS = (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR)


def _clocks() -> tuple[float, float]:
    """The wall clock and this thread's CPU time, for a step's first hook check."""
    return time.monotonic(), time.thread_time()


def _deny(*_args: Any) -> Any:
    raise AttributeError("access to Python objects from Lua is disabled")


class Outcome:
    """What one step ended with: a host request, or the end of the call."""
    __slots__ = ("op", "args", "result")

    def __init__(self, op: str | None = None, args: list | None = None, result: Any = None):
        self.op, self.args, self.result = op, args, result


class LuaWorker:
    def __init__(self, index: int, modules: dict[str, LuaModule], max_memory: int,
                 loop: asyncio.AbstractEventLoop):
        self.index = index
        self.loop = loop
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.pending = 0             # steps queued or running (read on the loop)
        self.busy_since = 0.0        # monotonic start of the running step, 0 when idle
        self.stuck = False           # abandoned after missing a hard deadline
        self.on_loop = False         # booted inline: steps run on the event loop thread
        # The running step's slice end (monotonic) on the loop, None on a thread: host
        # functions that may be called in a loop (process.spawn/send) end the step
        # early with a yield rather than be stopped by the hook (lua/modules/process).
        self.slice_end: float | None = None
        self.step_start = 0.0        # monotonic start of the running step on the loop
        # Read this thread's CPU clock when a step starts (a syscall, ~0.5 us) to charge
        # steps exactly (slice_after): only on the process states, where a process
        # stopped for a long step ends with an error. The HTTP handlers' state reads
        # it at a step's first hook check instead, and no short step pays for it.
        self.step_cpu_clock = False
        self.step_cpu: float | None = None
        # Own time a step may run before it is stopped, if not its slice (the process
        # state's, wippy/process/process.py); the slice still ends where spawns yield.
        self.step_budget: float | None = None
        self.current: Call | None = None
        self.collector: LoopCollector | None = None   # on the loop only (boot_inline)
        self._done: list = []
        self._done_lock = threading.Lock()
        self._flush_scheduled = False
        self._modules = modules
        self._declared: dict[tuple, Any] = {}   # module tuple -> Lua list (worker thread only)
        self._sources: dict[str, str] = {}      # entry id -> source compiled in this state
        self._loggers: dict[str, logging.Logger] = {}   # entry id -> its Lua logger
        self._max_memory = max_memory
        self._ready = threading.Event()
        self._boot_error: BaseException | None = None
        self.token, self.done_token, self.raise_token = (secrets.token_hex(16) for _ in range(3))
        self.thread = threading.Thread(target=self._main, name=f"wippy-lua-{index}", daemon=True)

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self.thread.start()
        self._ready.wait()
        if self._boot_error:
            raise self._boot_error

    def close(self) -> None:
        self.jobs.put(None)

    def boot_inline(self) -> None:
        """Use this state from the event loop thread instead of a thread of its own."""
        self.on_loop = True
        self._boot()
        self.collector = LoopCollector(self.runtime, self.loop, self._max_memory)

    def run_inline(self, call: Call, kind: str, payload: Any, slice_seconds: float) -> Outcome:
        """Run one step right here on the loop; the hook stops it after `slice_seconds`."""
        call.worker = self
        self.current = call
        try:
            if kind == RESUME:
                # What resumes the step (a host op's result, a batch of messages) is
                # the runtime's value, bounded by the mailbox's caps: it crosses into
                # Lua before the step's slice starts. Its allocations are where the C
                # allocator pays for what a collection freed (bench/README.md, "Lua's
                # collector on the processes' state"), which is no step's own time.
                kind, payload = RESUMED, (payload[0], self.converter.to_lua(payload[1]))
            self.step_start = start = time.monotonic()
            if self.step_cpu_clock:
                self.step_cpu = time.thread_time()
            return self._step(call, kind, payload, start + slice_seconds)
        except Exception as exc:
            log.exception("Lua step failed for %s", call.entry_id)
            self.release(call)
            return Outcome(result=(False, f"internal error: {type(exc).__name__}"))
        finally:
            self.current = None
            self.collector.after_step()

    def slice_after(self, t0: float, cpu0: float) -> float:
        """A new end for the running step's slice: the slice counts the step's own
        time on this thread, not what stopped the thread meanwhile: the collector
        (gcpause.py), another thread holding the GIL, the OS running something else.
        The count hook (boot.lua) asks only once the step's wall-clock slice is over,
        so no step within its slice ever calls this. The step's CPU time is counted
        from its start where that was read (`step_cpu_clock`), else from the hook's
        first check (`t0`, `cpu0`, 10 000 instructions in), with the wall time before
        it. The slice never ends more than SLICE_GRACE after its wall-clock end: a step
        is stopped then, whatever held it, so a pathological heap or a host function
        that blocks still cannot hold the loop for long. The call's deadline counts
        every pause (boot.lua)."""
        if self.slice_end is None:
            return float("inf")
        now = time.monotonic()
        start = self.step_start
        if self.step_cpu_clock:
            t0, cpu0 = start, self.step_cpu
        ran = (t0 - start) + (time.thread_time() - cpu0) \
            - gcpause.paused_since(start, threading.get_ident())
        budget = self.step_budget or (self.slice_end - start)
        left = budget - ran
        if left <= 0:
            return 0.0   # over: before any clock reading, so the hook stops the step
        return min(now + left, max(self.slice_end, start + budget) + SLICE_GRACE)

    def _boot(self) -> None:
        rt = lupa.LuaRuntime(register_eval=False, register_builtins=False,
                             unpack_returned_tuples=True, attribute_handlers=(_deny, _deny),
                             max_memory=self._max_memory)
        bridge = rt.table_from({
            "token": self.token, "done": self.done_token, "raise": self.raise_token,
            "now": time.monotonic, "print": self._print, "hook_count": HOOK_COUNT,
            "clocks": _clocks, "slice_after": self.slice_after,
            "patterns": PATTERNS_SOURCE, "json_text": JSON_TEXT_SOURCE,
            "types": TYPES_SOURCE, "reflect": REFLECT_SOURCE, "lua53": LUA53_SOURCE,
        })
        self.api = rt.execute(BOOT_SOURCE, bridge)
        self.runtime = rt
        self.converter = Converter(rt, self.api)
        self.libraries = StateLibraries(self.api, self.converter.to_lua)
        for name, module in self._modules.items():
            effects = getattr(module, "effects", ("",))
            host = rt.table_from({k: self._host(name, k, f, k.startswith(effects))
                                  for k, f in module.host_functions().items()})
            self.api.install_module(name, module.lua, host, getattr(module, "global_", False))
        # Python's view of the state must stay clean: drop `python` if present.
        rt.execute("python = nil")

    def _print(self, text: Any) -> None:
        call = self.current
        name = call.entry_id if call else "lua"
        logging.getLogger(f"wippy.lua.{name}").info(str(text))

    def _host(self, module: str, name: str, fn: Any, effectful: bool) -> Any:
        raise_token = self.raise_token

        def host(*args: Any) -> Any:
            call = self.current
            if effectful:
                call.effects = True
            try:
                return fn(call, *args)
            except LuaRaise as exc:
                return raise_token, str(exc)
            except WippyError as exc:
                return None, call.error(exc)
            except ConversionError as exc:
                return None, call.error(WippyError(str(exc), "Invalid"))
            except Exception:
                log.exception("host function %s.%s failed in %s", module, name,
                              call.entry_id if call else "?")
                return None, call.error(WippyError(f"internal error in {module}.{name}", INTERNAL))
        return host

    # ------------------------------------------------------------ thread side
    def _main(self) -> None:
        try:
            self._boot()
        except BaseException as exc:  # reported to start()
            self._boot_error = exc
            self._ready.set()
            return
        self._ready.set()
        while True:
            job = self.jobs.get()
            if job is None:
                break
            call, kind, payload, fut = job
            self.busy_since = time.monotonic()
            self.current = call
            # A process (wippy/process) has no call deadline to speak of, so each of
            # its steps gets a limit of its own: a loop that never yields is stopped.
            limit = call.extras.get("step_limit") if call.extras else None
            try:
                outcome = self._step(call, kind, payload,
                                     time.monotonic() + limit if limit else None)
            except BaseException as exc:  # never let the thread die
                log.exception("Lua worker step failed for %s", call.entry_id)
                outcome = Outcome(result=(False, f"internal error: {type(exc).__name__}"))
                self.release(call)
            self.current = None
            self.busy_since = 0.0
            self._deliver(fut, outcome)

    def _step(self, call: Call, kind: str, payload: Any, slice_end: float | None = None) -> Outcome:
        """Run one step of `call`. The step's slice travels with the resume values
        and Lua enters the call state itself (boot.lua), so a step that resumes
        crosses into Lua once; a start adds prepare() and the coroutine."""
        api, to_lua = self.api, self.converter.to_lua
        self.slice_end = slice_end
        if kind == CANCEL:
            self.release(call)
            return Outcome(result=(False, "canceled"))
        if kind == START:
            fdef, args, deadline = payload
            declared = self._declared.get(fdef.modules)
            if declared is None:   # one Lua list per module set, not one per call
                declared = self._declared[fdef.modules] = to_lua(list(fdef.modules))
            entry_id = fdef.entry_id
            # The source crosses into Lua (and is compared there) only when new here.
            known = self._sources.get(entry_id) is fdef.source
            level = self._log_level(entry_id) if "logger" in fdef.modules else 0
            http, delivery = call.http, call.delivery
            imports = None
            if fdef.imports:
                imports, problem = self.libraries.aliases(fdef)
                if problem:
                    return Outcome(result=(False, problem))
            body, handle = api.prepare(
                None if known else fdef.source, entry_id, fdef.method, declared, deadline, level,
                http.token if http is not None else None,
                delivery.token if delivery is not None else None,
                delivery.message.id if delivery is not None else None, imports)
            if body is None:
                return Outcome(result=(False, str(handle)))
            if not known:
                self._sources[entry_id] = fdef.source
            call.co = body.coroutine(slice_end, *[to_lua(a) for a in args])
            call.handle = handle
            send = None
        elif kind == RESUMED:
            send = (slice_end, *payload)
        else:
            ok, value = payload
            send = (slice_end, ok, to_lua(value))
        try:
            r = call.co.send(send)
        except StopIteration:
            r = ()
        except Exception as exc:  # the coroutine itself failed outside the protected body
            api.leave()
            self.release(call)
            return Outcome(result=(False, f"Lua error: {exc}"))
        if type(r) is not tuple:
            r = (r,)
        tag = r[0] if r else None
        if tag == self.token and len(r) >= 2:
            try:
                op_args = [self.converter.from_lua(v) for v in r[2:]]
            except ConversionError as exc:
                return Outcome(op="__invalid__", args=[str(exc)])
            return Outcome(op=r[1], args=op_args)
        if tag == self.done_token:
            ok, from_lua = r[1], self.converter.from_lua
            try:   # results and errors are informational: invalid UTF-8 becomes U+FFFD
                if ok:   # (done, true, n, v1 .. vn)
                    n = r[2]
                    values = [from_lua(v, replace_invalid=True) for v in r[3:3 + n]]
                    result = (True, values + [None] * (n - len(values)))
                else:    # (done, false, error)
                    result = (False, from_lua(r[2], replace_invalid=True))
            except ConversionError as exc:
                result = (False, f"invalid handler result: {exc}")
            call.co = call.handle = None   # finish() already forgot the call in Lua
            return Outcome(result=result)
        # The handler yielded something that is not a host request.
        api.leave()
        self.release(call)
        return Outcome(result=(False, "attempt to yield from outside a coroutine"))

    def _log_level(self, entry_id: str) -> int:
        """The lowest level `wippy.lua.<entry>` emits now; Lua skips calls below it."""
        lg = self._loggers.get(entry_id)
        if lg is None:
            lg = self._loggers[entry_id] = logging.getLogger(f"wippy.lua.{entry_id}")
        for level in _LEVELS:   # isEnabledFor is cached by logging until levels change
            if lg.isEnabledFor(level):
                return level
        return logging.CRITICAL

    def _plain(self, value: Any) -> Any:
        try:
            return self.converter.from_lua(value)
        except ConversionError:
            return "error"

    def release(self, call: Call) -> None:
        """Forget a call on the Lua side (it ended, failed or was cancelled)."""
        if call.handle is not None:
            self.api.release(call.handle)
        call.co = call.handle = None

    def _deliver(self, fut: asyncio.Future, outcome: Outcome) -> None:
        with self._done_lock:
            self._done.append((fut, outcome))
            if self._flush_scheduled:
                return
            self._flush_scheduled = True
        try:
            self.loop.call_soon_threadsafe(self._flush)
        except RuntimeError:  # loop closed during shutdown
            pass

    # ------------------------------------------------------------ loop side
    def _flush(self) -> None:
        with self._done_lock:
            items, self._done = self._done, []
            self._flush_scheduled = False
        for fut, outcome in items:
            self.pending -= 1
            if not fut.done():
                fut.set_result(outcome)

    def submit(self, call: Call, kind: str, payload: Any) -> asyncio.Future:
        fut = self.loop.create_future()
        self.pending += 1
        call.worker = self
        self.jobs.put((call, kind, payload, fut))
        return fut
