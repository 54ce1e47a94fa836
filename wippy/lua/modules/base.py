"""The contract of a Lua module (`http`, `sql`, `queue`, `uuid`, `logger`, `time`, `json`).

A module has three parts, all optional except `name` and `lua`:

* `lua`: trusted Lua source, run once per Lua state. It must evaluate to a
  function `function(host, lib) ... return M end` that builds the module table.
  The engine freezes the returned table (read-only, recursively), so module
  code should keep mutable state in locals, not in `M`.
* `host_functions()`: Python functions callable from the module's Lua code as
  `host.<name>(...)`. They run on the thread that runs the Lua step: the event
  loop thread for calls on the inline state (the default), a worker thread for
  calls moved off the loop. So a host function must neither block for long nor
  touch loop objects without `call_soon_threadsafe` unless it knows it is on the
  loop. It receives the current `Call` first: `fn(call, *lua_args)`.
  They must return only plain values: None/bool/int/float/str, or Lua tables
  made with `call.to_lua(...)`. Return a tuple for multiple values.
  - To return `(nil, err)`: `return None, call.error(WippyError(...))`, or
    simply `raise WippyError(...)`: the engine returns `(nil, err)` for you.
  - To raise a Lua error (argument misuse): `raise LuaRaise("message")`.
  - Any other exception is logged with its traceback and reaches Lua as
    `(nil, err)` of kind Internal with a generic message (no Python detail).
* `async_ops()`: coroutines run on the asyncio loop, for anything that waits
  (SQL, sleeping, a full queue). Lua calls them with
  `local value, err = lib.await("<module>.<op>", ...)`; the coroutine yields,
  the engine awaits `op(call, *plain_args)` (arguments already converted to
  plain Python data with `from_lua`), converts the result back with `to_lua`
  and resumes Lua with `(value, nil)`, or `(nil, err)` if it raised
  WippyError. Use this only when the work must wait: every await is a yield
  and a resume (and two thread hops for a call on a worker thread).

`lib` (given to module Lua code) provides:
  lib.await(op, ...)               -> value, err   (see above)
  lib.error(kind, message, retryable?, details?) -> error object
  lib.is_error(v)                  -> bool
  lib.freeze(t)                    -> read-only proxy of t (deep)
  lib.empty_object()               -> {} that encodes as a JSON object
  lib.is_object(t)                 -> true if t was marked as a JSON object
  lib.protect(mt)                  -> mt with __metatable = false (use for object metatables)

`Call` (Python side) provides:
  call.entry_id                    the function entry being run ("app:create_task")
  call.objects                     entry id -> built object (Database, Queue, ...)
  call.http / call.delivery        set by http.endpoint / queue.consumer, else None
  call.state                       dict for per-call module state (handles, ...)
  call.deadline                    loop.time() deadline of this call
  call.from_lua(v) / call.to_lua(v)  plain-data conversion (depth/size capped)
  call.error(WippyError)           -> Lua error object
  call.defer(fn)                   run on the loop when the call ends (cleanup); may
                                   return an awaitable, which is then awaited
  call.log                         logging.Logger named after the entry
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, ClassVar


class LuaRaise(Exception):
    """Raise from a host function to raise a Lua error (`error(message)`) in the caller."""


class LuaModule:
    name: ClassVar[str]
    lua: ClassVar[str] = "return function(host, lib) return {} end"
    # Name prefixes of the host functions and async ops (the part after
    # "<module>.") that change something outside the call: publish, write,
    # execute... ("",) = all of them. The engine re-runs a preempted call on a
    # worker thread only if it made none of these calls.
    effects: ClassVar[tuple[str, ...]] = ("",)
    # Async ops that stop at `call.deadline` themselves (raising TimeoutError),
    # so the engine need not arm a timer around each of them.
    self_timed: ClassVar[tuple[str, ...]] = ()

    def host_functions(self) -> dict[str, Callable[..., Any]]:
        return {}

    def async_ops(self) -> dict[str, Callable[..., Awaitable[Any]]]:
        return {}
