"""Parsing time text with a Go layout: Go's `time.ParseInLocation`, ported.

Errors carry Go's messages, e.g.
`parsing time "x" as "2006-01-02": cannot parse "x" as "2006"`.
"""
from __future__ import annotations

from .format import is_digit, next_chunk, quote
from .zone import (DAYS_BEFORE, MONTHS, UTC, WEEKDAYS, FixedZone, Zone, civil_to_local_sec,
                     days_in, is_leap)


class ParseError(ValueError):
    pass


def _error(layout: str, value: str, layout_elem: str, value_elem: str, message: str = "") -> ParseError:
    if message:
        return ParseError(f"parsing time {quote(value)}{message}")
    return ParseError(f"parsing time {quote(value)} as {quote(layout)}: cannot parse "
                      f"{quote(value_elem)} as {quote(layout_elem)}")


class _Bad(Exception):
    pass


def _getnum(value: str, fixed: bool) -> tuple[int, str]:
    if not is_digit(value, 0):
        raise _Bad
    if not is_digit(value, 1):
        if fixed:
            raise _Bad
        return int(value[0]), value[1:]
    return int(value[:2]), value[2:]


def _getnum3(value: str, fixed: bool) -> tuple[int, str]:
    i = 0
    while i < 3 and is_digit(value, i):
        i += 1
    if i == 0 or (fixed and i != 3):
        raise _Bad
    return int(value[:i]), value[i:]


def _atoi(text: str) -> int:
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isdigit() or not body.isascii():
        raise _Bad
    return int(text)


def _lookup(names: tuple[str, ...], value: str, short: bool) -> tuple[int, str]:
    for i, name in enumerate(names):
        name = name[:3] if short else name
        if value[:len(name)].lower() == name.lower():
            return i, value[len(name):]
    raise _Bad


def _skip(value: str, prefix: str) -> str:
    """Remove `prefix` from `value`; runs of spaces match runs of spaces."""
    while prefix:
        if prefix[0] == " ":
            if value and value[0] != " ":
                raise _Bad
            prefix, value = prefix.lstrip(" "), value.lstrip(" ")
            continue
        if not value or value[0] != prefix[0]:
            raise _Bad
        prefix, value = prefix[1:], value[1:]
    return value


def _nanoseconds(value: str, nbytes: int) -> int:
    if value[0] not in ".,":
        raise _Bad
    nbytes = min(nbytes, 10)
    ns = _atoi(value[1:nbytes])
    return ns * 10 ** (10 - nbytes)


def _signed_offset(value: str) -> int:
    if value[:1] not in ("+", "-"):
        return 0
    i = 1
    while is_digit(value, i):
        i += 1
    if i == 1 or int(value[1:i]) > 12:
        return 0
    return i


def _zone_name_length(value: str) -> int:
    """Go's parseTimeZone: how many leading bytes look like a zone abbreviation (0 = none)."""
    if len(value) < 3:
        return 0
    if value[:4] in ("ChST", "MeST"):
        return 4
    if value[:3] == "GMT":
        return 3 + _signed_offset(value[3:]) if len(value) > 3 else 3
    if value[0] in "+-":
        return _signed_offset(value)
    upper = 0
    while upper < 6 and upper < len(value) and "A" <= value[upper] <= "Z":
        upper += 1
    if upper == 3:
        return 3
    if upper == 4 and (value[3] == "T" or value[:4] == "WITA"):
        return 4
    if upper == 5 and value[4] == "T":
        return 5
    return 0


class _Fields:
    def __init__(self) -> None:
        self.year, self.month, self.day, self.yday = 0, -1, -1, -1
        self.hour = self.minute = self.second = self.nsec = 0
        self.pm = self.am = False
        self.zone: Zone | None = None
        self.zone_offset: int | None = None
        self.zone_name = ""


def parse_time(layout: str, value: str, default: Zone, local: Zone) -> tuple[int, int, Zone]:
    """Go's time.ParseInLocation semantics: returns (unix sec, nsec, zone). Raises ParseError."""
    f = _Fields()
    alayout, avalue, rest = layout, value, layout
    while True:
        prefix, std, suffix = next_chunk(rest)
        try:
            value = _skip(value, prefix)
        except _Bad:
            raise _error(alayout, avalue, prefix, value) from None
        if not std:
            if value:
                raise _error(alayout, avalue, "", value, f": extra text: {quote(value)}")
            break
        rest, hold = suffix, value
        try:
            value, range_error = _parse_element(std, value, f, suffix)
        except _Bad:
            raise _error(alayout, avalue, std, hold) from None
        if range_error:
            raise _error(alayout, avalue, std, value, f": {range_error} out of range")
    return _resolve(f, alayout, avalue, default, local)


def _parse_element(std: str, value: str, f: _Fields, suffix: str) -> tuple[str, str]:
    rng = ""
    if std == "06":
        if len(value) < 2:
            raise _Bad
        f.year, value = _atoi(value[:2]), value[2:]
        f.year += 1900 if f.year >= 69 else 2000
    elif std == "2006":
        if len(value) < 4 or not is_digit(value, 0):
            raise _Bad
        f.year, value = _atoi(value[:4]), value[4:]
    elif std in ("Jan", "January"):
        f.month, value = _lookup(MONTHS, value, std == "Jan")
        f.month += 1
    elif std in ("1", "01"):
        f.month, value = _getnum(value, std == "01")
        rng = "month" if not 1 <= f.month <= 12 else ""
    elif std in ("Mon", "Monday"):
        _, value = _lookup(WEEKDAYS, value, std == "Mon")
    elif std in ("2", "_2", "02"):
        if std == "_2" and value[:1] == " ":
            value = value[1:]
        f.day, value = _getnum(value, std == "02")
    elif std in ("__2", "002"):
        for _ in range(2):
            if std == "__2" and value[:1] == " ":
                value = value[1:]
        f.yday, value = _getnum3(value, std == "002")
        rng = "day-of-year" if not 1 <= f.yday <= 366 else ""
    elif std == "15":
        f.hour, value = _getnum(value, False)
        rng = "hour" if f.hour >= 24 else ""
    elif std in ("3", "03"):
        f.hour, value = _getnum(value, std == "03")
        rng = "hour" if f.hour > 12 else ""
    elif std in ("4", "04"):
        f.minute, value = _getnum(value, std == "04")
        rng = "minute" if f.minute >= 60 else ""
    elif std in ("5", "05"):
        f.second, value = _getnum(value, std == "05")
        rng = "second" if f.second >= 60 else ""
        # A fraction in the input but none in the layout is accepted (Go does the same).
        if not rng and len(value) >= 2 and value[0] in ".," and is_digit(value, 1):
            nxt = next_chunk(suffix)[1]
            if not (nxt[:1] in ".," and nxt[1:2] in ("0", "9")):
                n = 2
                while is_digit(value, n):
                    n += 1
                f.nsec, value = _nanoseconds(value, n), value[n:]
    elif std in ("PM", "pm"):
        want = ("PM", "AM") if std == "PM" else ("pm", "am")
        if value[:2] == want[0]:
            f.pm = True
        elif value[:2] == want[1]:
            f.am = True
        else:
            raise _Bad
        value = value[2:]
    elif std[0] in "-Z" and std[1:3] == "07":
        value, rng = _parse_offset(std, value, f)
    elif std == "MST":
        if value[:3] == "UTC":
            f.zone, value = UTC, value[3:]
        else:
            n = _zone_name_length(value)
            if n == 0:
                raise _Bad
            f.zone_name, value = value[:n], value[n:]
    elif std[1] == "0":  # fixed-width fraction: exactly as many digits as the layout
        width = len(std)
        if len(value) < width:
            raise _Bad
        f.nsec, value = _nanoseconds(value, width), value[width:]
    else:  # ".999": optional fraction, any number of digits
        if len(value) >= 2 and value[0] in ".," and is_digit(value, 1):
            i = 1
            while is_digit(value, i):
                i += 1
            f.nsec, value = _nanoseconds(value, i), value[i:]
    return value, rng


def _parse_offset(std: str, value: str, f: _Fields) -> tuple[str, str]:
    if std[0] == "Z" and value[:1] == "Z":
        f.zone = UTC
        return value[1:], ""
    base = std[1:]
    if base == "07:00":
        if len(value) < 6 or value[3] != ":":
            raise _Bad
        parts, value = (value[0], value[1:3], value[4:6], "00"), value[6:]
    elif base == "07":
        if len(value) < 3:
            raise _Bad
        parts, value = (value[0], value[1:3], "00", "00"), value[3:]
    elif base == "07:00:00":
        if len(value) < 9 or value[3] != ":" or value[6] != ":":
            raise _Bad
        parts, value = (value[0], value[1:3], value[4:6], value[7:9]), value[9:]
    elif base == "070000":
        if len(value) < 7:
            raise _Bad
        parts, value = (value[0], value[1:3], value[3:5], value[5:7]), value[7:]
    else:
        if len(value) < 5:
            raise _Bad
        parts, value = (value[0], value[1:3], value[3:5], "00"), value[5:]
    sign, hh, mm, ss = parts
    hour, minute, second = (_getnum(x, True)[0] for x in (hh, mm, ss))
    if sign not in "+-":
        raise _Bad
    rng = ("time zone offset hour" if hour > 24 else "time zone offset minute" if minute > 60
           else "time zone offset second" if second > 60 else "")
    offset = (hour * 60 + minute) * 60 + second
    f.zone_offset = -offset if sign == "-" else offset
    return value, rng


def _resolve(f: _Fields, layout: str, value: str, default: Zone,
             local: Zone) -> tuple[int, int, Zone]:
    if f.pm and f.hour < 12:
        f.hour += 12
    elif f.am and f.hour == 12:
        f.hour = 0
    if f.yday >= 0:
        month = day = 0
        yday = f.yday
        if is_leap(f.year):
            if yday == 31 + 29:
                month, day = 2, 29
            elif yday > 31 + 29:
                yday -= 1
        if yday < 1 or yday > 365:
            raise _error(layout, value, "", "", ": day-of-year out of range")
        if month == 0:
            month = (yday - 1) // 31 + 1
            if DAYS_BEFORE[month] < yday:
                month += 1
            day = yday - DAYS_BEFORE[month - 1]
        if f.month >= 0 and f.month != month:
            raise _error(layout, value, "", "", ": day-of-year does not match month")
        if f.day >= 0 and f.day != day:
            raise _error(layout, value, "", "", ": day-of-year does not match day")
        f.month, f.day = month, day
    else:
        f.month = 1 if f.month < 0 else f.month
        f.day = 1 if f.day < 0 else f.day
    if f.day < 1 or f.day > days_in(f.month, f.year):
        raise _error(layout, value, "", "", ": day out of range")
    wall = civil_to_local_sec(f.year, f.month, f.day, f.hour, f.minute, f.second)
    if f.zone is not None:
        return f.zone.to_unix(wall), f.nsec, f.zone
    if f.zone_offset is not None:
        unix = wall - f.zone_offset
        name, offset = local.lookup(unix)
        if offset == f.zone_offset and (not f.zone_name or name == f.zone_name):
            return unix, f.nsec, local
        return unix, f.nsec, FixedZone(f.zone_name, f.zone_offset)
    if f.zone_name:
        offset = local.lookup_name(f.zone_name, wall)
        if offset is not None:
            return wall - offset, f.nsec, local
        # Unknown abbreviation: Go keeps the wall clock as UTC in a made-up zone.
        offset = 0
        if len(f.zone_name) > 3 and f.zone_name[:3] == "GMT":
            offset = int(f.zone_name[3:]) * 3600
        return wall, f.nsec, FixedZone(f.zone_name, offset)
    return default.to_unix(wall), f.nsec, default
