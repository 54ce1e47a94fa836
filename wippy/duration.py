"""Go duration strings ("300ms", "1h30m", "-1.5s") to seconds and back."""
from __future__ import annotations

import re

_UNITS = {
    "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3,
    "s": 1.0, "m": 60.0, "h": 3600.0,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Parse a Go duration string into seconds. Raises ValueError with the reason."""
    if not isinstance(text, str):
        raise ValueError(f"duration must be a string like \"5s\", got {text!r}")
    s = text.strip()
    if not s:
        raise ValueError("empty duration")
    sign = 1.0
    if s[0] in "+-":
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if s == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(s):
        m = _PART.match(s, pos)
        if not m:
            raise ValueError(
                f"invalid duration {text!r} (use Go syntax such as \"300ms\", \"5s\", \"1h30m\")")
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    return sign * total


def to_nanoseconds(text: str) -> int:
    """Parse a Go duration string into integer nanoseconds."""
    return round(parse_duration(text) * 1e9)


def format_duration(ns: int) -> str:
    """Format nanoseconds the way Go's time.Duration.String() does."""
    if ns == 0:
        return "0s"
    neg = ns < 0
    u = -ns if neg else ns
    if u < 1000:
        out = f"{u}ns"
    elif u < 1_000_000:
        out = _trim(u / 1e3) + "µs"
    elif u < 1_000_000_000:
        out = _trim(u / 1e6) + "ms"
    else:
        out = ""
        h, rem = divmod(u, 3_600_000_000_000)
        m, rem = divmod(rem, 60_000_000_000)
        if h:
            out += f"{h}h"
        if h or m:
            out += f"{m}m"
        out += _trim(rem / 1e9) + "s"
    return ("-" if neg else "") + out


def _trim(x: float) -> str:
    text = f"{x:.9f}".rstrip("0").rstrip(".")
    return text or "0"
