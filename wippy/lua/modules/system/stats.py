"""What the `system` module reports, read from Python and Linux (docs/modules/system.md
has the field-by-field mapping and says what is approximate).

Go's runtime.MemStats has no Python twin. Here memory comes from the kernel's view of
this process (/proc/self/status: resident, anonymous, data and stack sizes), object
counts from CPython's allocator (`sys.getallocatedblocks`), and collections from the
cyclic GC (`gc.get_stats`). Fields with no counterpart are 0, never invented.
"""
from __future__ import annotations

import gc
import sys

_KB = 1024


def proc_status() -> dict[str, int]:
    """VmRSS, RssAnon, VmData, VmStk, ... of this process, in bytes ({} off Linux)."""
    out: dict[str, int] = {}
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                key, _, rest = line.partition(b":")
                parts = rest.split()
                if len(parts) == 2 and parts[1] == b"kB":
                    out[key.decode()] = int(parts[0]) * _KB
    except OSError:
        pass
    return out


def gc_collections() -> int:
    return sum(g["collections"] for g in gc.get_stats())


def memory_stats() -> dict[str, int]:
    st = proc_status()
    in_use = st.get("RssAnon", st.get("VmRSS", 0))   # memory this process allocated and touched
    heap_sys = max(st.get("VmData", 0), in_use)      # anonymous memory mapped from the system
    stack = st.get("VmStk", 0)
    return {
        "alloc": in_use,
        "total_alloc": 0,            # no cumulative allocation counter in CPython
        "sys": st.get("VmRSS", 0),
        "heap_alloc": in_use,
        "heap_sys": heap_sys,
        "heap_idle": heap_sys - in_use,
        "heap_in_use": in_use,
        "heap_released": heap_sys - in_use,   # mapped but not resident: given back or never used
        "heap_objects": sys.getallocatedblocks(),
        "stack_in_use": stack,
        "stack_sys": stack,
        "mspan_in_use": 0,           # Go allocator internals: none here
        "mspan_sys": 0,
        "num_gc": gc_collections(),
        "next_gc": 0,                # CPython's GC runs by allocation counts, not a byte target
    }


def allocated() -> int:
    return memory_stats()["alloc"]
