"""The sections `.wippy.yaml` may have, and what this runtime does with them.

Composition sections (`version`, `vars`, `override`, `disable`, `profiles`) are
handled by project_config.py. `logger.encoding` (console | json) chooses the
log format, `logger.access_log` (ours, default true) the line per HTTP request, and
`shutdown.timeout` bounds a graceful stop.
`prometheus` (enabled, address) opens the metrics and health listener; `ops` (enabled,
allow_remote) adds the ops page to it (docs/operations.md, "Ops page"); `relay.node_name`
names this node in its logs (docs/scale-out.md). The other sections
the Wippy docs define (cluster, otel, ...) configure parts of Go Wippy this
runtime does not have: they are accepted so one file serves both, and a
warning says they have no effect. Any other name is refused with a
did-you-mean (docs/configuration.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..common.duration import parse_duration
from .config import suggest

PROMETHEUS_ADDRESS = "127.0.0.1:9090"   # loopback unless the project asks otherwise
COMPOSITION = ("version", "vars", "override", "disable", "profiles")
# Section -> {field: checker}; a checker returns an error message or None.
Checker = Callable[[Any], "str | None"]


def _choice(*allowed: str) -> Checker:
    def check(value: Any) -> str | None:
        if value in allowed:
            return None
        return (f"must be one of {', '.join(allowed)}, got {value!r}"
                f"{suggest(str(value), allowed)}")
    return check


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, got {value!r}"


def _address(value: Any) -> str | None:
    host, sep, port = str(value).rpartition(":")
    if sep and port.isdigit() and 0 <= int(port) <= 65535:
        return None
    return f"must be host:port (like 127.0.0.1:9090), got {value!r}"


def _duration(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return None
    try:
        parse_duration(str(value))
    except ValueError as exc:
        return str(exc)
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip() and not any(c.isspace() for c in value):
        return None
    return f"must be a name without spaces (like worker-1), got {value!r}"


HONOURED: dict[str, dict[str, Checker]] = {
    "logger": {"encoding": _choice("console", "json"), "access_log": _bool},
    "shutdown": {"timeout": _duration},
    "prometheus": {"enabled": _bool, "address": _address},
    "ops": {"enabled": _bool, "allow_remote": _bool},
    "relay": {"node_name": _text},    # only the node's name in its logs (docs/scale-out.md)
}
# Documented Wippy sections with no counterpart here (docs/configuration.md lists them).
IGNORED = ("logmanager", "profiler", "security", "registry", "supervisor",
           "functions", "lua", "finder", "otel", "metrics", "cluster", "lsp",
           "network_service", "dispatcher", "modules", "extensions", "boot", "workspace")
SECTIONS = (*COMPOSITION, *HONOURED, *IGNORED)


def unknown_section(name: str, allowed: tuple[str, ...] = SECTIONS) -> str | None:
    if name in allowed:
        return None
    return (f"unknown section {name!r}{suggest(str(name), allowed)}; "
            f"allowed: {', '.join(sorted(allowed))}")


def section_problems(name: str, body: Any) -> list[tuple[tuple, str]]:
    """(path inside the section, message) for every bad field of an honoured section."""
    checkers = HONOURED.get(name)
    if checkers is None:
        return []
    if not isinstance(body, dict):
        return [((), f"{name} must be a mapping")]
    out = []
    for key, value in body.items():
        check = checkers.get(key)
        if check is None:
            out.append(((key,), f"unknown field{suggest(str(key), checkers)}; "
                                f"allowed: {', '.join(checkers)}"))
            continue
        problem = check(value)
        if problem:
            out.append(((key,), problem))
    return out


@dataclass
class Settings:
    """What the runtime takes from the composed sections."""
    log_encoding: str | None = None       # "json" | "console"; None = the CLI default
    access_log: bool = True                # a line per HTTP request (docs/operations.md)
    shutdown_timeout: float | None = None  # seconds
    prometheus_enabled: bool = False       # serve /metrics, /health, /ready (docs/operations.md)
    prometheus_address: str = PROMETHEUS_ADDRESS
    ops_enabled: bool = False              # the ops page on that listener (operations.md)
    ops_allow_remote: bool = False         # serve it on a non-loopback address too
    node_name: str | None = None           # relay.node_name: this node in its logs


def settings_from(config: dict[str, Any]) -> Settings:
    """Call after section_problems found nothing."""
    out = Settings()
    logger = config.get("logger") or {}
    out.log_encoding = logger.get("encoding")
    out.access_log = bool(logger.get("access_log", True))
    timeout = (config.get("shutdown") or {}).get("timeout")
    if timeout is not None:
        out.shutdown_timeout = (float(timeout) if isinstance(timeout, (int, float))
                                else parse_duration(str(timeout)))
    prometheus = config.get("prometheus") or {}
    out.prometheus_enabled = bool(prometheus.get("enabled", False))
    out.prometheus_address = str(prometheus.get("address") or PROMETHEUS_ADDRESS)
    ops = config.get("ops") or {}
    out.ops_enabled = bool(ops.get("enabled", False))
    out.ops_allow_remote = bool(ops.get("allow_remote", False))
    out.node_name = (config.get("relay") or {}).get("node_name")
    return out
