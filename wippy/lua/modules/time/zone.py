"""Calendar arithmetic and time zones with Go's semantics, for the `time` Lua module.

Times are (unix seconds, nanoseconds) pairs; civil dates use the proleptic
Gregorian calendar and work for any year (Python's datetime is used only to
ask zoneinfo for offsets, clamped to the years it supports).
"""
from __future__ import annotations

import os
import threading
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SECONDS_PER_DAY = 86400
ZERO_TIME_SEC = -62135596800            # 0001-01-01T00:00:00Z, Go's zero Time
_MIN_LOOKUP = -62135596800 + 2 * SECONDS_PER_DAY
_MAX_LOOKUP = 253402300799 - 2 * SECONDS_PER_DAY

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
DAYS_BEFORE = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365)


# ---------------------------------------------------------------- calendar

def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, any day)."""
    if month <= 2:
        year -= 1
    era = year // 400
    yoe = year - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(days: int) -> tuple[int, int, int]:
    """(year, month, day) of a day number counted from 1970-01-01."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    return year, month, day


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in(month: int, year: int) -> int:
    if month == 2 and is_leap(year):
        return 29
    return DAYS_BEFORE[month] - DAYS_BEFORE[month - 1]


class Civil:
    """The wall-clock fields of an instant seen with a given UTC offset."""
    __slots__ = ("year", "month", "day", "hour", "minute", "second", "weekday", "yday")

    def __init__(self, local_sec: int):
        days, secs = divmod(local_sec, SECONDS_PER_DAY)
        self.year, self.month, self.day = civil_from_days(days)
        self.hour, rem = divmod(secs, 3600)
        self.minute, self.second = divmod(rem, 60)
        self.weekday = (days + 4) % 7          # 1970-01-01 was a Thursday
        self.yday = days - days_from_civil(self.year, 1, 1) + 1


def civil_to_local_sec(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
                       sec: int = 0) -> int:
    """Seconds of a wall-clock reading as if it were UTC; out-of-range fields overflow (Go's Date)."""
    year, month0 = year + (month - 1) // 12, (month - 1) % 12
    days = days_from_civil(year, month0 + 1, 1) + day - 1
    return days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + sec


# ---------------------------------------------------------------- zones

class Zone:
    """A Go Location: a name and a way to find the offset in effect at an instant."""
    name: str

    def lookup(self, unix: int) -> tuple[str, int]:
        """(abbreviation, offset seconds east of UTC) in effect at `unix`."""
        raise NotImplementedError

    def lookup_name(self, abbrev: str, unix: int) -> int | None:
        """Offset of the zone abbreviated `abbrev` around `unix`, if this location uses it."""
        raise NotImplementedError

    def to_unix(self, local_sec: int) -> int:
        """Unix seconds of a wall-clock reading in this zone (Go's Date: the later reading wins
        in an ambiguous hour, a skipped hour moves forward)."""
        _, offset = self.lookup(local_sec)
        utc = local_sec - offset
        _, actual = self.lookup(utc)
        return local_sec - actual if actual != offset else utc


class FixedZone(Zone):
    def __init__(self, name: str, offset: int):
        self.name = name
        self.offset = offset

    def lookup(self, unix: int) -> tuple[str, int]:
        return self.name, self.offset

    def lookup_name(self, abbrev: str, unix: int) -> int | None:
        return self.offset if abbrev == self.name else None

    def to_unix(self, local_sec: int) -> int:
        return local_sec - self.offset


class TzZone(Zone):
    """An IANA zone from the system tz database."""

    def __init__(self, name: str, info: ZoneInfo):
        self.name = name
        self.info = info

    def lookup(self, unix: int) -> tuple[str, int]:
        clamped = min(max(unix, _MIN_LOOKUP), _MAX_LOOKUP)
        moment = datetime.fromtimestamp(clamped, timezone.utc).astimezone(self.info)
        offset = moment.utcoffset()
        return moment.tzname() or "", int(offset.total_seconds()) if offset else 0

    def lookup_name(self, abbrev: str, unix: int) -> int | None:
        # Prefer the zone with that abbreviation actually in effect then (Go's lookupName);
        # probing half a year either side finds the other DST state.
        candidates = [self.lookup(unix + delta) for delta in (0, -182 * SECONDS_PER_DAY,
                                                              182 * SECONDS_PER_DAY)]
        for name, offset in candidates:
            if name == abbrev and self.lookup(unix - offset)[0] == abbrev:
                return self.lookup(unix - offset)[1]
        for name, offset in candidates:
            if name == abbrev:
                return offset
        return None


UTC = FixedZone("UTC", 0)

_cache: dict[str, Zone] = {}
_cache_lock = threading.Lock()


def load_zone(name: str) -> Zone:
    """The zone for an IANA name, "UTC" or "Local". Raises LookupError if unknown."""
    if name == "UTC":
        return UTC
    if name == "Local":
        return local_zone()
    zone = _cache.get(name)
    if zone is not None:
        return zone
    try:
        info = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise LookupError(f"unknown time zone {name}") from None
    zone = TzZone(name, info)
    with _cache_lock:
        _cache[name] = zone
    return zone


def local_zone() -> Zone:
    """The system zone, as Go finds it: $TZ ("" = UTC), else /etc/localtime, else UTC."""
    zone = _cache.get("Local")
    if zone is None:
        zone = _find_local()
        with _cache_lock:
            _cache["Local"] = zone
    return zone


def _find_local() -> Zone:
    tz = os.environ.get("TZ")
    if tz is not None:
        tz = tz.lstrip(":")
        if tz in ("", "UTC"):
            return UTC
        try:
            return TzZone("Local", ZoneInfo(tz))
        except (ZoneInfoNotFoundError, ValueError, OSError):
            return UTC
    try:
        with open("/etc/localtime", "rb") as fh:
            return TzZone("Local", ZoneInfo.from_file(fh, key="Local"))
    except (OSError, ValueError):
        return UTC
