"""Go time text: layout formatting ("2006-01-02T15:04:05Z07:00") and duration strings.

A port of the parts of Go's `time/format.go` the Lua `time` module exposes, so
layouts behave exactly as Wippy users know them from Go. Parsing with a layout
lives in `parse.py`; both share `next_chunk`.
"""
from __future__ import annotations

from .zone import MONTHS, WEEKDAYS, Civil

RFC3339 = "2006-01-02T15:04:05Z07:00"
_TZ_STDS = ("-070000", "-07:00:00", "-0700", "-07:00", "-07")


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def is_digit(text: str, i: int) -> bool:
    return i < len(text) and "0" <= text[i] <= "9"


def next_chunk(layout: str) -> tuple[str, str, str]:
    """Split `layout` at its first element: (literal prefix, element, rest). Element "" = none."""
    n = len(layout)
    for i, c in enumerate(layout):
        rest = layout[i:]
        if c == "J" and rest.startswith("Jan"):
            if rest.startswith("January"):
                return layout[:i], "January", layout[i + 7:]
            if not rest[3:4].islower():
                return layout[:i], "Jan", layout[i + 3:]
        elif c == "M":
            if rest.startswith("Mon"):
                if rest.startswith("Monday"):
                    return layout[:i], "Monday", layout[i + 6:]
                if not rest[3:4].islower():
                    return layout[:i], "Mon", layout[i + 3:]
            if rest.startswith("MST"):
                return layout[:i], "MST", layout[i + 3:]
        elif c == "0":
            if i + 1 < n and "1" <= layout[i + 1] <= "6":
                return layout[:i], layout[i:i + 2], layout[i + 2:]
            if rest.startswith("002"):
                return layout[:i], "002", layout[i + 3:]
        elif c == "1":
            if rest.startswith("15"):
                return layout[:i], "15", layout[i + 2:]
            return layout[:i], "1", layout[i + 1:]
        elif c == "2":
            if rest.startswith("2006"):
                return layout[:i], "2006", layout[i + 4:]
            return layout[:i], "2", layout[i + 1:]
        elif c == "_":
            if rest.startswith("_2"):
                if rest.startswith("_2006"):  # a literal "_" followed by the year
                    return layout[:i + 1], "2006", layout[i + 5:]
                return layout[:i], "_2", layout[i + 2:]
            if rest.startswith("__2"):
                return layout[:i], "__2", layout[i + 3:]
        elif c in "345":
            return layout[:i], c, layout[i + 1:]
        elif c == "P" and rest.startswith("PM"):
            return layout[:i], "PM", layout[i + 2:]
        elif c == "p" and rest.startswith("pm"):
            return layout[:i], "pm", layout[i + 2:]
        elif c in "-Z":
            for std in _TZ_STDS:
                std = c + std[1:]
                if rest.startswith(std):
                    return layout[:i], std, layout[i + len(std):]
        elif c in ".," and i + 1 < n and layout[i + 1] in "09":
            j = i + 1
            while j < n and layout[j] == layout[i + 1]:
                j += 1
            if not is_digit(layout, j):  # only a fraction if the run of digits ends here
                return layout[:i], layout[i:j], layout[j:]
    return layout, "", ""


# ---------------------------------------------------------------- formatting

def _zone_text(std: str, offset: int) -> str:
    if std[0] == "Z" and offset == 0:
        return "Z"
    sign = "-" if offset < 0 else "+"
    absoffset = abs(offset)
    zone = absoffset // 60
    base = std[1:]
    out = f"{sign}{zone // 60:02d}"
    if base in ("07:00", "07:00:00"):
        out += ":"
    if base != "07":
        out += f"{zone % 60:02d}"
    if base in ("070000", "07:00:00"):
        if base == "07:00:00":
            out += ":"
        out += f"{absoffset % 60:02d}"
    return out


def _fraction(std: str, nsec: int) -> str:
    digits = len(std) - 1
    if std[1] == "9" and nsec == 0:
        return ""
    text = std[0] + f"{nsec:09d}"[:min(digits, 9)]
    if std[1] == "9":
        text = text.rstrip("0")
        if len(text) == 1:
            return ""
    return text


def format_time(layout: str, sec: int, nsec: int, offset: int, abbrev: str) -> str:
    """Go's Time.Format for the instant (sec, nsec) shown at `offset` named `abbrev`."""
    c = Civil(sec + offset)
    out: list[str] = []
    while layout:
        prefix, std, layout = next_chunk(layout)
        out.append(prefix)
        if not std:
            break
        out.append(_element(std, c, nsec, offset, abbrev))
    return "".join(out)


def _element(std: str, c: Civil, nsec: int, offset: int, abbrev: str) -> str:
    if std == "2006":
        return f"-{-c.year:04d}" if c.year < 0 else f"{c.year:04d}"
    simple = {
        "06": lambda: f"{abs(c.year) % 100:02d}", "January": lambda: MONTHS[c.month - 1],
        "Jan": lambda: MONTHS[c.month - 1][:3], "1": lambda: str(c.month),
        "01": lambda: f"{c.month:02d}", "Monday": lambda: WEEKDAYS[c.weekday],
        "Mon": lambda: WEEKDAYS[c.weekday][:3], "2": lambda: str(c.day),
        "_2": lambda: f"{c.day:2d}", "02": lambda: f"{c.day:02d}",
        "__2": lambda: f"{c.yday:3d}", "002": lambda: f"{c.yday:03d}",
        "15": lambda: f"{c.hour:02d}", "3": lambda: str(c.hour % 12 or 12),
        "03": lambda: f"{c.hour % 12 or 12:02d}", "4": lambda: str(c.minute),
        "04": lambda: f"{c.minute:02d}", "5": lambda: str(c.second),
        "05": lambda: f"{c.second:02d}", "PM": lambda: "PM" if c.hour >= 12 else "AM",
        "pm": lambda: "pm" if c.hour >= 12 else "am",
    }.get(std)
    if simple is not None:
        return simple()
    if std == "MST":
        if abbrev:
            return abbrev
        zone = abs(offset) // 60
        return f"{'-' if offset < 0 else '+'}{zone // 60:02d}{zone % 60:02d}"
    if std[0] in "-Z":
        return _zone_text(std, offset)
    return _fraction(std, nsec)
