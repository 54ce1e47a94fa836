"""`${env:NAME}` placeholders in entry data, resolved when the entry is decoded.

| Form                   | Meaning                                                    |
|------------------------|------------------------------------------------------------|
| `${env:NAME}`          | the variable's value; an error when unset with no default  |
| `${env:NAME|default}`  | the same, falling back to `default`                        |
| `${NAME|default}`      | shorthand: NAME upper-snake, the default required          |
| `$${`                  | a literal `${`                                             |

A bare `${VAR}` (or a lower-case `${name|x}`) is left as written, so shell and
template text survives. NAME is an env.variable's public name or entry id,
never a raw OS variable. A field that is one whole placeholder is typed: by
its inline default (`${env:PORT|8080}` is an int, `${env:PORT|"8080"}` a
string), else by the field's declared type; mixed text is always a string.
The variable's own `default` applies before the inline one. See
docs/configuration.md.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import WippyError
from .yaml_lines import parse_yaml

_TOKEN = re.compile(r"\$\$\{|\$\{([^{}]*)\}")
_SHORT_NAME = re.compile(r"^[A-Z0-9_]+$")
_ENV_NAME = re.compile(r"^[A-Za-z0-9_.:-]+$")
_NO_DEFAULT = object()


class PlaceholderError(ValueError):
    """A placeholder that cannot be resolved; the message says what to do."""


class Env(Protocol):
    def lookup(self, name: str) -> tuple[Any, str | None]: ...


@dataclass
class Ref:
    """One recognised placeholder."""
    text: str                 # as written, "${env:PORT|8080}"
    name: str
    default: Any = _NO_DEFAULT

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT


@dataclass
class Resolution:
    value: Any
    variables: set[str] = field(default_factory=set)   # entry ids of the variables read


def _parse(body: str, text: str) -> Ref | None:
    """The inside of `${...}` -> Ref, or None when it is not a placeholder."""
    if body.startswith("env:"):
        name, bar, default = body[4:].partition("|")
        name = name.strip()
        if not _ENV_NAME.match(name):
            raise PlaceholderError(f"{text}: {name!r} is not a variable name or entry id")
        return Ref(text, name, _default(default) if bar else _NO_DEFAULT)
    name, bar, default = body.partition("|")
    if bar and _SHORT_NAME.match(name.strip()):
        return Ref(text, name.strip(), _default(default))
    return None


def _default(text: str) -> Any:
    """The inline default with its YAML type: 8080 -> int, true -> bool, "8080" -> str."""
    text = text.strip()
    if not text:
        return ""
    try:
        value = parse_yaml(text)
    except Exception:  # noqa: BLE001 - not a YAML scalar: the text itself
        return text
    return value if isinstance(value, (str, int, float, bool)) else text


def has_placeholder(text: str) -> bool:
    return "${" in text


def _typed(value: str, want: type, ref: Ref) -> Any:
    """The stored text as `want` (bool, int or float); PlaceholderError when it is not one."""
    text = value.strip()
    try:
        if want is bool:
            if text.lower() in ("true", "false"):
                return text.lower() == "true"
            raise ValueError
        if want is int:
            return int(text)
        if want is float:
            return float(text)
    except ValueError:
        pass
    label = {bool: "true or false", int: "an integer", float: "a number"}[want]
    raise PlaceholderError(f"{ref.text}: the value of {ref.name} ({value!r}) is not {label}; "
                           f"fix the variable, or change the field")


def resolve(text: str, env: Env, want: type | None = None) -> Resolution:
    """Resolve every placeholder in `text`. `want` is the field's type, if it has one."""
    out = Resolution(text)
    parts: list[Any] = []
    pos = 0
    refs: list[Ref] = []
    for match in _TOKEN.finditer(text):
        parts.append(text[pos:match.start()])
        pos = match.end()
        if match.group(0) == "$${":
            parts.append("${")
            continue
        ref = _parse(match.group(1), match.group(0))
        if ref is None:
            parts.append(match.group(0))
            continue
        refs.append(ref)
        parts.append(ref)
    parts.append(text[pos:])
    if not refs and "$${" not in text:
        return out
    whole = len(refs) == 1 and all(p == "" for p in parts if not isinstance(p, Ref))
    values = []
    for part in parts:
        if isinstance(part, Ref):
            values.append(_value(part, env, out.variables, want if whole else None))
        else:
            values.append(part)
    out.value = values[[isinstance(p, Ref) for p in parts].index(True)] if whole else \
        "".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values)
    return out


def _value(ref: Ref, env: Env, used: set[str], want: type | None) -> Any:
    try:
        var, stored = env.lookup(ref.name)
    except WippyError as exc:  # an unreadable env file, a missing storage
        raise PlaceholderError(f"{ref.text}: cannot read {ref.name}: {exc.message}") from exc
    if var is not None:
        used.add(var.id)
        if stored is None and var.default:
            stored = var.default
    if stored is None:
        if ref.has_default:
            return ref.default
        if var is None:
            raise PlaceholderError(
                f"{ref.text}: no env.variable is named {ref.name}; declare one (variable: "
                f"{ref.name}) or give a default: ${{env:{ref.name}|value}}")
        raise PlaceholderError(
            f"{ref.text}: {ref.name} is not set and has no default; set it in its storage "
            f"({var.storage}), give the env.variable a default, or write "
            f"${{env:{ref.name}|value}}")
    target = type(ref.default) if ref.has_default else want
    if target in (bool, int, float):
        return _typed(stored, target, ref)
    return stored
