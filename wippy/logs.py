"""Logging setup: everything goes to stderr (decision D11); stdout is for command output.

Structured fields travel in `extra={"fields": {...}}` (or `extra=fields(k=v)`):

    log.info("service running", extra=fields(service="app:db"))

The console format is `time LEVEL logger msg key=value ...`; `-c/--console`
colours it when stderr is a terminal; `--log-json` writes one JSON object per line.
"""
from __future__ import annotations

import json
import logging
import sys
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


def fields(**values: Any) -> dict[str, Any]:
    """`extra=` payload carrying structured key=value fields."""
    return {"fields": values}


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (str, int, float)):
        text = str(value)
    else:
        text = json.dumps(value, default=str, ensure_ascii=False)
    if text == "" or any(c in text for c in ' "=\n\t'):
        return json.dumps(text, ensure_ascii=False)
    return text


class ConsoleFormatter(logging.Formatter):
    """`2026-01-02T10:11:12.345 INFO  wippy.supervisor service running service=app:db`."""

    def __init__(self, colour: bool = False):
        super().__init__()
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created))
        stamp += f".{int(record.msecs):03d}"
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
                               "logger": record.name, "msg": record.getMessage()}
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            for key, value in extra.items():
                out.setdefault(key, value)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def setup_logging(verbose: bool = False, console: bool = False, silent: bool = False,
                  json_lines: bool = False, stream: Any = None) -> logging.Handler:
    """Install one stderr handler on the root logger; replaces a previous wippy handler."""
    stream = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(stream)
    setattr(handler, _HANDLER_FLAG, True)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        tty = bool(getattr(stream, "isatty", lambda: False)())
        handler.setFormatter(ConsoleFormatter(colour=console and tty))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_FLAG, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    if silent:
        level = logging.CRITICAL + 1
    elif verbose:
        level = logging.DEBUG
    else:
        level = logging.INFO
    root.setLevel(level)
    return handler
