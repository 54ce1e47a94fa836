"""Logging setup: everything goes to stderr (docs/decisions.md D11); stdout is for command output.

Structured fields travel in `extra={"fields": {...}}` (or `extra=fields(k=v)`):

    log.info("service running", extra=fields(service="app:db"))

The console format is `time LEVEL logger msg key=value ...`; `-c/--console`
colours it when stderr is a terminal; `--log-json` writes one JSON object per line.

Repeated errors do not flood the log (a full disk once wrote a thousand ERROR lines
in 30 s): of identical lines at ERROR and above, the first is written, the rest are
counted, and every few seconds one summary line says how many there were
(`RepeatFilter`).

Each node names itself in its logs (`node_name`): `host:pid` unless `relay.node_name` in
`.wippy.yaml` or the `WIPPY_NODE_ID` / `WIPPY_RELAY_NODE_NAME` variable names it. Every JSON
line carries it as `node`; on the console the start and ready lines do (docs/scale-out.md).
"""
from __future__ import annotations

import json
import logging
import os
import re
import socket
import sys
import threading
import time
from typing import Any

_COLOURS = {
    logging.DEBUG: "\033[2m", logging.INFO: "\033[32m", logging.WARNING: "\033[33m",
    logging.ERROR: "\033[31m", logging.CRITICAL: "\033[1;31m",
}
_SHORT_LEVELS = {"WARNING": "WARN", "CRITICAL": "FATAL"}
_RESET = "\033[0m"
_DIM = "\033[2m"
# Mark our own handler so a second setup (tests, repeated main()) replaces it.
_HANDLER_FLAG = "_wippy_handler"
REPEAT_INTERVAL = 5.0      # seconds between two summaries of a repeated error
_MAX_WINDOWS = 1024        # distinct error lines remembered before quiet ones are dropped


_NODE_ENV = ("WIPPY_NODE_ID", "WIPPY_RELAY_NODE_NAME")   # Go Wippy's overrides, in order
_node: str | None = None


def set_node_name(name: str | None) -> None:
    """This process's node identity (`relay.node_name`); None: the default."""
    global _node
    _node = name or None


def node_name() -> str:
    """`relay.node_name`, else WIPPY_NODE_ID / WIPPY_RELAY_NODE_NAME, else `host:pid`
    (read each time: the pid of a forked child is its own)."""
    if _node:
        return _node
    for var in _NODE_ENV:
        if os.environ.get(var):
            return os.environ[var]
    return f"{socket.gethostname()}:{os.getpid()}"


def fields(**values: Any) -> dict[str, Any]:
    """`extra=` payload carrying structured key=value fields."""
    return {"fields": values}


# A value holding one of these is quoted, so the line still splits into key=value pairs.
_QUOTE = re.compile(r'[ "=\n\t]')


def _format_value(value: Any) -> str:
    kind = type(value)
    if kind is int or kind is float:    # never need quotes (the access log's numbers)
        return str(value)
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (str, int, float)):
        text = str(value)
    else:
        text = json.dumps(value, default=str, ensure_ascii=False)
    if text == "" or _QUOTE.search(text):
        return json.dumps(text, ensure_ascii=False)
    return text


class ConsoleFormatter(logging.Formatter):
    """`2026-01-02T10:11:12.345 INFO  wippy.supervisor service running service=app:db`."""

    def __init__(self, colour: bool = False):
        super().__init__()
        self.colour = colour
        self._second = (-1, "")    # the last second formatted: strftime once per second

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if second != self._second[0]:
            self._second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(second)))
        stamp = f"{self._second[1]}.{int(record.msecs):03d}"
        level = _SHORT_LEVELS.get(record.levelname, record.levelname).ljust(5)
        parts = [record.getMessage()]
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            parts.extend(f"{k}={_format_value(v)}" for k, v in extra.items())
        body = " ".join(parts)
        if self.colour:
            colour = _COLOURS.get(record.levelno, "")
            line = f"{_DIM}{stamp}{_RESET} {colour}{level}{_RESET} {_DIM}{record.name}{_RESET} {body}"
        else:
            line = f"{stamp} {level} {record.name} {body}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg and the structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {"ts": round(record.created, 3), "level": record.levelname.lower(),
                               "logger": record.name, "msg": record.getMessage(),
                               "node": node_name()}
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            for key, value in extra.items():
                out.setdefault(key, value)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


class RepeatFilter(logging.Filter):
    """Identical records at `level` and above (same logger, level and message; their
    fields may differ, as a message id does): the first passes; the others within
    `interval` seconds are counted, and when the interval ends one summary record goes
    to `handler`, `<message> (repeated N times in 5s)` with the fields of the last one
    and `repeated=N`. While the flood lasts, each interval gives one summary; after a
    quiet interval the next such record passes again. A timer thread writes the
    summary when it is due, so the count is not held back until the next log line."""

    def __init__(self, handler: logging.Handler, interval: float = REPEAT_INTERVAL,
                 level: int = logging.ERROR):
        super().__init__()
        self.handler = handler
        self.interval = interval
        self.level = level
        self._lock = threading.Lock()
        self._windows: dict[tuple, list] = {}    # key -> [end, count, last record]
        self._timer: threading.Timer | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < self.level or getattr(record, "repeat_summary", False):
            return True
        key = (record.name, record.levelno, record.getMessage())
        now = time.monotonic()
        summary = None
        with self._lock:
            window = self._windows.get(key)
            if window is None or (now >= window[0] and not window[1]):
                if len(self._windows) >= _MAX_WINDOWS:
                    self._forget_quiet(now)
                self._windows[key] = [now + self.interval, 0, None]
                return True                      # the first of its kind: written
            if now >= window[0]:                 # due and not yet summarised
                summary = self._summary(window)
                window[0] = now + self.interval
            window[1] += 1
            window[2] = record
            if self._timer is None:
                self._arm(window[0] - now)
        if summary is not None:
            self.handler.handle(summary)
        return False

    def flush_due(self, everything: bool = False) -> None:
        """Write the summaries whose interval has ended (all of them: `everything`)."""
        now = time.monotonic()
        summaries = []
        with self._lock:
            self._timer = None
            next_due = None
            for window in self._windows.values():
                if not window[1]:
                    continue
                if everything or now >= window[0]:
                    summaries.append(self._summary(window))
                    window[0] = now + self.interval   # the flood may go on: keep counting
                elif next_due is None or window[0] < next_due:
                    next_due = window[0]
            if next_due is not None and not everything:
                self._arm(next_due - now)
        for summary in summaries:
            self.handler.handle(summary)

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
        self.flush_due(everything=True)

    def _arm(self, delay: float) -> None:
        timer = self._timer = threading.Timer(max(delay, 0.0), self.flush_due)
        timer.daemon = True
        timer.start()

    def _forget_quiet(self, now: float) -> None:
        for key in [k for k, w in self._windows.items() if now >= w[0] and not w[1]]:
            del self._windows[key]

    def _summary(self, window: list) -> logging.LogRecord:
        count, last = window[1], window[2]
        window[1], window[2] = 0, None
        summary = logging.makeLogRecord(last.__dict__)
        summary.msg = f"{last.getMessage()} (repeated {count} times in {self.interval:g}s)"
        summary.args = None
        summary.exc_info = summary.exc_text = summary.stack_info = None
        extra = getattr(last, "fields", None)
        summary.fields = {**(extra if isinstance(extra, dict) else {}), "repeated": count}
        summary.created = time.time()
        summary.msecs = (summary.created % 1) * 1000
        summary.repeat_summary = True
        return summary


class _Handler(logging.StreamHandler):
    """The wippy stderr handler: writes pending repeat summaries when it closes
    (logging.shutdown at exit, or a second setup_logging)."""

    def __init__(self, stream: Any, repeat_interval: float):
        super().__init__(stream)
        self.repeats = RepeatFilter(self, repeat_interval)
        self.addFilter(self.repeats)

    def close(self) -> None:
        self.repeats.close()
        super().close()


def setup_logging(verbose: bool = False, console: bool = False, silent: bool = False,
                  json_lines: bool = False, stream: Any = None,
                  repeat_interval: float = REPEAT_INTERVAL) -> logging.Handler:
    """Install one stderr handler on the root logger; replaces a previous wippy handler."""
    stream = stream if stream is not None else sys.stderr
    handler = _Handler(stream, repeat_interval)
    setattr(handler, _HANDLER_FLAG, True)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        tty = bool(getattr(stream, "isatty", lambda: False)())
        handler.setFormatter(ConsoleFormatter(colour=console and tty))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_FLAG, False)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    if silent:
        level = logging.CRITICAL + 1
    elif verbose:
        level = logging.DEBUG
    else:
        level = logging.INFO
    root.setLevel(level)
    return handler
