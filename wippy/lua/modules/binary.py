"""Binary strings across the Lua/Python bridge, for modules that take raw bytes.

Lua strings are bytes, but the bridge only carries valid UTF-8 text (see
docs/architecture.md, "Text at the boundary"). A module that hashes, encodes or
encrypts arbitrary bytes puts `PRELUDE` before its `return function(host, lib)`
and passes each byte argument through `bin(s)`: valid UTF-8 crosses as it is,
anything else has each byte 0x80-0xFF mapped to U+0080-U+00FF and a flag set,
and `to_bytes` turns it back into the very same bytes with Latin-1. Results go
back to Lua as Python `bytes`, which lupa pushes as raw Lua strings.
"""
from __future__ import annotations

from typing import Any

from ...errors import INTERNAL, INVALID, WippyError

PRELUDE = r"""
local bin
do
    local utf8_len, gsub, type = utf8.len, string.gsub, type
    local LATIN1 = {}
    for b = 128, 255 do LATIN1[string.char(b)] = utf8.char(b) end
    -- s, false when s is valid UTF-8; its Latin-1 mapping, true otherwise.
    -- Anything that is not a string passes through for the host to refuse.
    bin = function(s)
        if type(s) ~= "string" or utf8_len(s) then return s, false end
        return (gsub(s, "[\128-\255]", LATIN1)), true
    end
end
"""


def to_bytes(value: Any, mapped: Any, what: str = "input") -> bytes:
    """The bytes of a string argument passed through `bin`; Invalid if not a string."""
    if not isinstance(value, str):
        raise WippyError(f"{what} must be a string", INVALID, retryable=False)
    return value.encode("latin-1") if mapped else value.encode("utf-8")


def maybe_bytes(value: Any, mapped: Any, what: str) -> bytes | None:
    """Like to_bytes, but nil (None) stays None: for optional arguments."""
    return None if value is None else to_bytes(value, mapped, what)


def ensure_room(call: Any, size: int) -> None:
    """Fail with `not enough memory` (as `nil, err`) when a result of `size` bytes would
    not fit under the Lua state's memory limit. Letting lupa hit the limit while it
    pushes a returned string, inside a Lua `pcall`, hangs the state (lupa 2.8), so
    modules that return large strings check first."""
    runtime = call.worker.runtime
    limit = runtime.get_max_memory()
    if limit and runtime.get_memory_used() + size + (64 << 10) > limit:
        raise WippyError(f"not enough memory: a result of {size} bytes does not fit under the "
                         f"Lua memory limit ({limit} bytes)", INTERNAL, retryable=False)
