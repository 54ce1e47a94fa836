"""The `logger` Lua module: structured logs through Python logging.

Records go to the logger `wippy.lua.<entry id>` (`wippy.lua.<entry id>.<name>` for
`logger:named(name)`), with `extra={"fields": {...}}`: `entry` and `location`
(`<entry id>:<line>`) first, `pid` in a process (as Wippy adds it), then the caller's
fields.
"""
from __future__ import annotations

import logging
from importlib import resources
from typing import Any

from ....errors import WippyError
from ..base import LuaModule

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
          "error": logging.ERROR}


def _plain_field(value: Any) -> Any:
    """Nested values as JSON-friendly data: error objects become their message."""
    if isinstance(value, WippyError):
        return value.message
    if isinstance(value, dict):
        return {str(k): _plain_field(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_field(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


class LoggerModule(LuaModule):
    name = "logger"
    effects = ()  # re-running a call only repeats its log lines
    lua = resources.files(__package__).joinpath("logger.lua").read_text()

    def host_functions(self):
        loggers: dict[tuple[str, Any], logging.Logger] = {}   # (entry, name) -> logger

        def log(call, level, name, msg, fields, line):
            entry = call.entry_id
            logger = loggers.get((entry, name))
            if logger is None:
                logger = loggers[(entry, name)] = logging.getLogger(
                    f"wippy.lua.{entry}.{name}" if name else f"wippy.lua.{entry}")
            levelno = LEVELS[level]
            if not logger.isEnabledFor(levelno):   # cached by logging until levels change
                return None
            record = {"entry": entry, "location": f"{entry}:{line}" if line and line > 0 else entry}
            proc = call.extras.get("process") if call.extras else None
            if proc is not None:   # Wippy logs the frame's pid with every process line
                record["pid"] = proc.pid
            plain = call.from_lua(fields, replace_invalid=True) if fields is not None else {}
            if isinstance(plain, dict):
                for key, value in plain.items():
                    # `entry` is the caller's when given (Wippy code logs
                    # {entry = job_id}, e.g. the official crontab-registry example);
                    # `location` stays ours.
                    if isinstance(key, str) and key != "location":
                        record[key] = _plain_field(value)
            logger.log(levelno, msg, extra={"fields": record})
            return None
        return {"log": log}
