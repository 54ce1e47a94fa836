"""Go duration strings ("300ms", "1h30m", "-1.5s"): the one parser, shared by the YAML config
decoder and the Lua `time` module so both accept exactly what Go's time.ParseDuration accepts
(no surrounding spaces, no bare numbers but "0")."""
from __future__ import annotations

_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
          "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}
_LIMIT = 1 << 63


def parse_nanoseconds(text: str) -> int:
    """Go's time.ParseDuration, exactly: nanoseconds, or ValueError with Go's message."""
    invalid = ValueError(f"time: invalid duration {_quote(text)}")
    s, neg = text, False
    if s[:1] in ("-", "+"):
        neg, s = s[0] == "-", s[1:]
    if s == "0":
        return 0
    if not s:
        raise invalid
    total = 0
    while s:
        if not (s[0] == "." or "0" <= s[0] <= "9"):
            raise invalid
        i = 0
        while _is_digit(s, i):
            i += 1
        whole = int(s[:i]) if i else 0
        pre, s = i > 0, s[i:]
        frac, scale, post = 0, 1, False
        if s[:1] == ".":
            j = 1
            while _is_digit(s, j):
                j += 1
            digits, s = s[1:j], s[j:]
            post = bool(digits)
            for ch in digits:  # stop gaining precision where Go's uint64 would overflow
                if frac > (_LIMIT - 1) // 10:
                    break
                frac, scale = frac * 10 + int(ch), scale * 10
        if not pre and not post:
            raise invalid
        k = 0
        while k < len(s) and not (s[k] == "." or "0" <= s[k] <= "9"):
            k += 1
        if k == 0:
            raise ValueError(f"time: missing unit in duration {_quote(text)}")
        unit_name, s = s[:k], s[k:]
        unit = _UNITS.get(unit_name)
        if unit is None:
            raise ValueError(f"time: unknown unit {_quote(unit_name)} in duration {_quote(text)}")
        if whole > _LIMIT // unit:
            raise invalid
        value = whole * unit
        if frac:
            value += int(float(frac) * (float(unit) / scale))
        total += value
        if value > _LIMIT or total > _LIMIT:
            raise invalid
    if neg:
        return -total
    if total > _LIMIT - 1:
        raise invalid
    return total


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _is_digit(text: str, i: int) -> bool:
    return i < len(text) and "0" <= text[i] <= "9"


def parse_duration(text: str) -> float:
    """A config duration in seconds. Raises ValueError saying what Go syntax looks like."""
    if not isinstance(text, str):
        raise ValueError(f"duration must be a string like \"5s\", got {text!r}")
    try:
        return parse_nanoseconds(text) / 1e9
    except ValueError as exc:
        raise ValueError(f"{str(exc).removeprefix('time: ')} "
                         f"(use Go syntax such as \"300ms\", \"5s\", \"1h30m\")") from None
