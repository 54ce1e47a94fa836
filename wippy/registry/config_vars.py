"""`${...}` inside `.wippy.yaml`: `${env:NAME}` from the OS, `${name}` from `vars:`.

    vars: {port: 8085}
    override:
      app:gateway:addr: ":${port}"           # mixed text -> ":8085"
      app:gateway:max_body: ${max_body}      # a whole value keeps the var's type
      app:db:password: $${env:PG_PASSWORD}   # `$${` is a literal `${`: the entry's placeholder

`${env:NAME}` and `${env:NAME|default}` read the process environment (a
missing variable without a default is an error); `${name}` must name a var.
Var values may use `${env:...}` but not other vars. Text in other forms is
left as written.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from .config import suggest

_TOKEN = re.compile(r"\$\$\{|\$\{([^{}]*)\}")
_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class VarError(ValueError):
    """A reference that cannot be resolved; the message says what to do."""


def interpolate(value: Any, environ: Mapping[str, str], vars_: Mapping[str, Any] | None,
                on_error: Callable[[tuple, str], None], path: tuple = ()) -> Any:
    """`value` with every reference resolved, walking maps and lists. Each failure is
    passed to `on_error(path, message)` and leaves the text as written."""
    if isinstance(value, dict):
        return {k: interpolate(v, environ, vars_, on_error, path + (k,)) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, environ, vars_, on_error, path + (i,)) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value
    try:
        return _text(value, environ, vars_)
    except VarError as exc:
        on_error(path, str(exc))
        return value


def _text(text: str, environ: Mapping[str, str], vars_: Mapping[str, Any] | None) -> Any:
    parts: list[Any] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        parts.append(text[pos:match.start()])
        pos = match.end()
        if match.group(0) == "$${":
            parts.append("${")
            continue
        parts.append(_one(match.group(1), match.group(0), environ, vars_))
    parts.append(text[pos:])
    if len(parts) == 3 and parts[0] == parts[2] == "" and not isinstance(parts[1], str):
        return parts[1]      # one whole reference keeps its value's type
    return "".join(_str(p) for p in parts)


def _str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _one(body: str, text: str, environ: Mapping[str, str],
         vars_: Mapping[str, Any] | None) -> Any:
    if body.startswith("env:"):
        name, bar, default = body[4:].partition("|")
        name = name.strip()
        if name in environ:
            return environ[name]
        if bar:
            return default.strip()
        raise VarError(f"{text}: environment variable {name} is not set; export it, or write "
                       f"${{env:{name}|default}}")
    name = body.strip()
    if not _VAR.match(name):
        return text
    if vars_ is None:
        raise VarError(f"{text}: vars cannot refer to other vars; write the value itself")
    if name not in vars_:
        known = ", ".join(sorted(map(str, vars_))) or "none"
        raise VarError(f"{text}: no var named {name}{suggest(name, map(str, vars_))}; "
                       f"define it under vars: (defined: {known})")
    return vars_[name]
