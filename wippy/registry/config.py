"""Decode entry data into typed config dataclasses: strict, with defaults and limits.

A kind's config is a dataclass. Per-field rules live in `field(metadata=...)`,
built with `spec()`:

    @dataclass
    class ConsumerConfig:
        queue: str = spec(required=True, ref="queue.queue")
        concurrency: int = spec(1, min=1, max=1000)
        lifecycle: Lifecycle = spec(default_factory=Lifecycle)

Unknown keys are errors with "did you mean". References (`ref=`) are
qualified with the entry's namespace (docs/decisions.md D5) and checked by the graph.
"""
from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import MISSING, dataclass, field
from typing import Any

from ..common.duration import parse_duration
from .entry import Entry, qualify
from ..errors import ConfigError
from .placeholders import PlaceholderError, has_placeholder
from .placeholders import resolve as resolve_placeholders


def spec(default: Any = MISSING, *, default_factory: Any = MISSING, required: bool = False,
         ref: str | bool | None = None, min: float | None = None, max: float | None = None,
         duration: bool = False, choices: tuple | None = None, meta: bool = False,
         opaque: bool = False, doc: str = "") -> Any:
    """A config field. `ref` names the kind family the reference must point at
    (a prefix such as "queue.queue" or "http."), or True for any kind.
    `opaque`: program text (Lua source) whose `${...}` is not a placeholder."""
    md = {"required": required, "ref": ref, "min": min, "max": max,
          "duration": duration, "choices": choices, "meta": meta, "opaque": opaque,
          "doc": doc}
    if required and default is MISSING and default_factory is MISSING:
        default = None
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=md)
    return field(default=default, metadata=md)


def suggest(word: str, options: typing.Iterable[str]) -> str:
    """" (did you mean X?)" or ""."""
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {match[0]}?)" if match else ""


@dataclass
class RestartPolicy:
    initial_delay: float = spec(1.0, duration=True, min=0)
    max_delay: float = spec(90.0, duration=True, min=0)
    backoff_factor: float = spec(2.0, min=1.0)
    jitter: float = spec(0.1, min=0, max=1)
    max_attempts: int = spec(0, min=0, doc="0 = unlimited")


@dataclass
class Lifecycle:
    """The lifecycle block shared by every supervised kind (docs/kinds/lifecycle.md)."""
    auto_start: bool = False
    startup: str = spec("required", choices=("required", "optional"))
    requires: list[str] = spec(default_factory=list, ref=True)
    depends_on: list[str] = spec(default_factory=list, ref=True)
    start_timeout: float = spec(10.0, duration=True, min=0)
    stop_timeout: float = spec(10.0, duration=True, min=0)
    stable_threshold: float = spec(5.0, duration=True, min=0)
    restart: RestartPolicy = spec(default_factory=RestartPolicy)
    security: dict[str, Any] = spec(default_factory=dict)

    @property
    def dependencies(self) -> list[str]:
        """`requires` and its legacy alias `depends_on`, merged."""
        return list(dict.fromkeys(self.requires + self.depends_on))


_UNRESOLVED = object()   # a placeholder that failed (and was reported)


class Decoder:
    """Decodes one entry; collects every problem instead of stopping at the first.

    With `env` (an EnvRegistry), `${env:...}` placeholders in field values are
    resolved first (registry/placeholders.py); `env_refs` collects the ids of
    the variables read, for the dependency graph.
    """

    def __init__(self, entry: Entry, env: Any = None):
        self.entry = entry
        self.errors: list[ConfigError] = []
        self.env = env
        self.env_refs: set[str] = set()

    def fail(self, path: str, message: str) -> None:
        # "data.x" is shown as "x"; meta fields keep their "meta." so users look in the right place.
        label = path[5:] if path.startswith("data.") else path
        self.errors.append(ConfigError(message, self.entry.origin_of(path),
                                       self.entry.id, label))

    def decode(self, cls: type) -> Any:
        return self._dataclass(cls, self.entry.data, "data", top=True)

    def _dataclass(self, cls: type, raw: Any, path: str, top: bool = False) -> Any:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            self.fail(path, f"must be a mapping, got {_type_name(raw)}")
            raw = {}
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        data_fields = {n for n, f in fields.items() if not f.metadata.get("meta")}
        for key in raw:
            if key not in data_fields:
                self.fail(f"{path}.{key}", f"unknown field{suggest(str(key), data_fields)}"
                          f"; allowed: {', '.join(sorted(data_fields))}")
        values = {}
        for name, f in fields.items():
            md = f.metadata
            src = self.entry.meta if (md.get("meta") and top) else raw
            fpath = f"{'meta' if md.get('meta') else path}.{name}"
            blank = isinstance(src.get(name), str) and not src[name].strip()
            if name in src and src[name] is not None and not (blank and md.get("required")):
                values[name] = self._value(hints[name], src[name], fpath, md)
            elif md.get("required"):
                self.fail(fpath, f"{name} is required")
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            self.fail(path, str(exc))
            return cls()

    def _value(self, tp: Any, raw: Any, path: str, md: dict) -> Any:
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0] if len(args) == 1 else Any
            origin = typing.get_origin(tp)
        if self.env is not None and not md.get("opaque"):
            typed = dataclasses.is_dataclass(tp) or origin is list
            raw = self._resolve(raw, path, tp if tp in (bool, int, float) else None, deep=not typed)
            if raw is _UNRESOLVED:
                return None  # already reported; a type error on top would only be noise
        if dataclasses.is_dataclass(tp):
            return self._dataclass(tp, raw, path)
        if origin is list:
            if isinstance(raw, (str, int, float)) and md.get("ref"):
                raw = [raw]
            if not isinstance(raw, list):
                self.fail(path, f"must be a list, got {_type_name(raw)}")
                return []
            (item_tp,) = typing.get_args(tp) or (Any,)
            return [self._value(item_tp, v, f"{path}[{i}]", md) for i, v in enumerate(raw)]
        if origin is dict or tp is dict:
            if not isinstance(raw, dict):
                self.fail(path, f"must be a mapping, got {_type_name(raw)}")
                return {}
            if md.get("ref"):   # a map of references (`imports: {alias: id}`): values qualified
                return {k: qualify(v, self.entry.namespace) if isinstance(v, str) else v
                        for k, v in raw.items()}
            return raw
        return self._scalar(tp, raw, path, md)

    def _resolve(self, raw: Any, path: str, want: type | None, deep: bool) -> Any:
        """Placeholders in a string (typed by `want`), or in every string of an
        untyped map/list (`deep`); nested typed fields resolve on their own."""
        if isinstance(raw, str):
            if not has_placeholder(raw):
                return raw
            try:
                found = resolve_placeholders(raw, self.env, want)
            except PlaceholderError as exc:
                self.fail(path, str(exc))
                return _UNRESOLVED
            self.env_refs |= found.variables
            return found.value
        if deep and isinstance(raw, dict):
            return {k: self._resolve(v, f"{path}.{k}", None, True) for k, v in raw.items()}
        if deep and isinstance(raw, list):
            return [self._resolve(v, f"{path}[{i}]", None, True) for i, v in enumerate(raw)]
        return raw

    def _scalar(self, tp: Any, raw: Any, path: str, md: dict) -> Any:
        if md.get("duration"):
            if isinstance(raw, (int, float)) and not isinstance(raw, bool):
                value = float(raw)  # bare numbers are seconds
            else:
                try:
                    value = parse_duration(raw)
                except ValueError as exc:
                    self.fail(path, str(exc))
                    return None
        elif tp is bool:
            if not isinstance(raw, bool):
                self.fail(path, f"must be true or false, got {raw!r}")
                return None
            value = raw
        elif tp is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                self.fail(path, f"must be an integer, got {raw!r}")
                return None
            value = raw
        elif tp is float:
            if isinstance(raw, bool) or not isinstance(raw, (int, float)):
                self.fail(path, f"must be a number, got {raw!r}")
                return None
            value = float(raw)
        elif tp is str:
            if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
                self.fail(path, f"must be a string, got {_type_name(raw)}")
                return None
            value = str(raw)
            if md.get("ref"):
                value = qualify(value, self.entry.namespace)
        else:
            value = raw
        if md.get("choices") and value not in md["choices"]:
            self.fail(path, f"must be one of {', '.join(map(str, md['choices']))}, got {value!r}"
                      f"{suggest(str(value), map(str, md['choices']))}")
        lo, hi = md.get("min"), md.get("max")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if lo is not None and value < lo:
                self.fail(path, f"must be at least {lo}, got {raw!r}")
            if hi is not None and value > hi:
                self.fail(path, f"must be at most {hi}, got {raw!r}")
        return value


def decode(entry: Entry, cls: type, env: Any = None) -> tuple[Any, list[ConfigError]]:
    """Decode `entry.data` (and meta fields) into `cls`; return (config, errors).
    With `env`, placeholders are resolved (see Decoder)."""
    decoder = Decoder(entry, env)
    cfg = decoder.decode(cls)
    return cfg, decoder.errors


def references(cfg: Any, cls: type | None = None, prefix: str = "") -> list[tuple[str, str, Any]]:
    """Every reference in a decoded config: (field path, target id, ref rule)."""
    out = []
    if cfg is None or not dataclasses.is_dataclass(cfg):
        return out
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        path = f"{prefix}{f.name}"
        rule = f.metadata.get("ref")
        if rule and isinstance(value, str) and value:
            out.append((path, value, rule))
        elif rule and isinstance(value, list):
            out.extend((f"{path}[{i}]", v, rule) for i, v in enumerate(value) if isinstance(v, str))
        elif rule and isinstance(value, dict):
            out.extend((f"{path}.{k}", v, rule) for k, v in value.items() if isinstance(v, str))
        elif dataclasses.is_dataclass(value):
            out.extend(references(value, prefix=f"{path}."))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if dataclasses.is_dataclass(item):
                    out.extend(references(item, prefix=f"{path}[{i}]."))
    return out


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
            int: "an integer", float: "a number", type(None): "nothing"}.get(
        type(value), type(value).__name__)
