"""A compact JSON Schema validator for `json.validate` (draft 2020-12 core vocabulary).

Supported: boolean schemas, type, enum, const, numeric and string limits, pattern,
format (date-time, date, time, email, uuid, ipv4, ipv6, uri; other formats are
annotations), items/prefixItems/contains, min/maxItems, uniqueItems, properties,
patternProperties, additionalProperties, required, min/maxProperties,
propertyNames, dependentRequired, allOf/anyOf/oneOf/not, if/then/else and local
`$ref` ("#", "#/$defs/...", "#/definitions/..."). Any other keyword is a schema
error, so an unsupported rule can never pass silently; `x-*` keys and
annotations (title, description, default, ...) are ignored.

Data from Lua is ambiguous about empty tables: with `lua_data=True` an empty
list also counts as an empty object.
"""
from __future__ import annotations

import ipaddress
import re
import uuid
from datetime import date, datetime, time as dtime
from typing import Any, Callable

from . import codec as jsonx

ANNOTATIONS = {"$schema", "$id", "$comment", "$anchor", "title", "description", "default",
               "examples", "deprecated", "readOnly", "writeOnly", "$defs", "definitions",
               "contentMediaType", "contentEncoding", "contentSchema", "$vocabulary"}
KEYWORDS = {"type", "enum", "const", "minimum", "maximum", "exclusiveMinimum",
            "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern", "format",
            "items", "prefixItems", "contains", "minItems", "maxItems", "uniqueItems",
            "properties", "patternProperties", "additionalProperties", "required",
            "minProperties", "maxProperties", "propertyNames", "dependentRequired", "allOf",
            "anyOf", "oneOf", "not", "if", "then", "else", "$ref"}
TYPES = {"null", "boolean", "object", "array", "number", "integer", "string"}
MAX_ERRORS = 20


class SchemaError(ValueError):
    """The schema itself is invalid or uses something this validator does not support."""


def _is_email(text: str) -> bool:
    return re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text) is not None


def _is_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return "T" in text.upper() and re.search(r"(Z|z|[+-]\d\d:\d\d)$", text) is not None


def _parses(parser: Callable[[str], Any]) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        try:
            parser(text)
        except ValueError:
            return False
        return True
    return check


FORMATS: dict[str, Callable[[str], bool]] = {
    "date-time": _is_datetime, "date": _parses(date.fromisoformat),
    "time": _parses(lambda t: dtime.fromisoformat(t.replace("Z", "+00:00"))),
    "email": _is_email, "uuid": _parses(uuid.UUID),
    "ipv4": _parses(ipaddress.IPv4Address), "ipv6": _parses(ipaddress.IPv6Address),
    "uri": lambda t: re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", t) is not None,
}


def _kind(value: Any, lua_data: bool) -> set[str]:
    if value is None:
        return {"null"}
    if isinstance(value, bool):
        return {"boolean"}
    if isinstance(value, int):
        return {"integer", "number"}
    if isinstance(value, float):
        return {"integer", "number"} if value.is_integer() else {"number"}
    if isinstance(value, str):
        return {"string"}
    if isinstance(value, list):
        return {"array", "object"} if lua_data and not value else {"array"}
    if isinstance(value, dict):
        return {"object"}
    return set()


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _object(value: Any) -> dict:
    return {} if value == [] else value


class Validator:
    def __init__(self, schema: Any):
        self.root = schema
        self._check(schema, "#")
        self._patterns: dict[str, re.Pattern] = {}

    # ------------------------------------------------------------ schema checks
    def _check(self, schema: Any, where: str) -> None:
        if isinstance(schema, bool):
            return
        schema = _object(schema)
        if not isinstance(schema, dict):
            raise SchemaError(f"{where}: a schema must be an object or a boolean")
        for key, value in schema.items():
            if key in ANNOTATIONS or key.startswith("x-"):
                if key in ("$defs", "definitions"):
                    for name, sub in _object(value).items():
                        self._check(sub, f"{where}/{key}/{name}")
                continue
            if key not in KEYWORDS:
                raise SchemaError(f"{where}: unsupported JSON Schema keyword {key!r}")
            if key in ("not", "if", "then", "else", "contains", "propertyNames",
                       "additionalProperties"):
                self._check(value, f"{where}/{key}")
            elif key == "items":
                for i, sub in enumerate(value if isinstance(value, list) and value else [value]):
                    self._check(sub, f"{where}/items/{i}")
            elif key in ("allOf", "anyOf", "oneOf", "prefixItems"):
                if not isinstance(value, list) or not value:
                    raise SchemaError(f"{where}/{key}: must be a non-empty array of schemas")
                for i, sub in enumerate(value):
                    self._check(sub, f"{where}/{key}/{i}")
            elif key in ("properties", "patternProperties"):
                for name, sub in _object(value).items():
                    if key == "patternProperties":
                        self._regex(name, f"{where}/{key}")
                    self._check(sub, f"{where}/{key}/{name}")
            elif key == "type":
                names = value if isinstance(value, list) else [value]
                if not names or any(n not in TYPES for n in names):
                    raise SchemaError(f"{where}/type: unknown type {value!r}")
            elif key == "pattern":
                self._regex(value, f"{where}/pattern")
            elif key == "$ref":
                self._resolve(value)
            elif key in ("exclusiveMinimum", "exclusiveMaximum", "minimum", "maximum",
                         "multipleOf") and (isinstance(value, bool)
                                            or not isinstance(value, (int, float))):
                raise SchemaError(f"{where}/{key}: must be a number")

    def _regex(self, pattern: Any, where: str) -> re.Pattern:
        if not isinstance(pattern, str):
            raise SchemaError(f"{where}: pattern must be a string")
        try:
            return re.compile(pattern)
        except re.error as exc:
            raise SchemaError(f"{where}: invalid pattern {pattern!r}: {exc}") from None

    def _resolve(self, ref: Any) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise SchemaError(f"$ref {ref!r}: only local references (#/...) are supported")
        node = self.root
        for part in [p for p in ref[1:].split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            node = _object(node)
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise SchemaError(f"$ref {ref!r} does not resolve")
        return node

    # ------------------------------------------------------------ validation
    def errors(self, value: Any, lua_data: bool = False) -> list[str]:
        out: list[str] = []
        self._validate(self.root, value, "", out, lua_data, 0)
        return out

    def _validate(self, schema: Any, value: Any, path: str, out: list[str], lua: bool,
                  depth: int) -> None:
        if len(out) >= MAX_ERRORS:
            return
        if depth > 300:
            raise SchemaError("schema recursion is too deep (a $ref cycle?)")
        if schema is True:
            return
        if schema is False:
            out.append(f"{path or '/'}: no value is allowed here")
            return
        schema = _object(schema)
        where = path or "/"
        kinds = _kind(value, lua)

        def sub(s: Any, v: Any, p: str = path) -> list[str]:
            found: list[str] = []
            self._validate(s, v, p, found, lua, depth + 1)
            return found

        if "$ref" in schema:
            out.extend(sub(self._resolve(schema["$ref"]), value))
        if "type" in schema:
            wanted = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not kinds & set(wanted):
                out.append(f"{where}: expected {' or '.join(wanted)}")
                return
        if "enum" in schema and not any(_equal(value, e) for e in schema["enum"]):
            out.append(f"{where}: value is not one of the allowed values")
        if "const" in schema and not _equal(value, schema["const"]):
            out.append(f"{where}: value must be {jsonx.encode(schema['const'])}")
        if "number" in kinds:
            self._numbers(schema, value, where, out)
        if "string" in kinds:
            self._strings(schema, value, where, out)
        if "array" in kinds:
            self._arrays(schema, value, path, out, sub)
        if "object" in kinds:
            self._objects(schema, _object(value), path, out, sub)
        for s in schema.get("allOf", ()):
            out.extend(sub(s, value))
        if "anyOf" in schema and not any(not sub(s, value) for s in schema["anyOf"]):
            out.append(f"{where}: value matches none of anyOf")
        if "oneOf" in schema:
            matches = sum(1 for s in schema["oneOf"] if not sub(s, value))
            if matches != 1:
                out.append(f"{where}: value must match exactly one of oneOf (matched {matches})")
        if "not" in schema and not sub(schema["not"], value):
            out.append(f"{where}: value must not match the 'not' schema")
        if "if" in schema:
            branch = "then" if not sub(schema["if"], value) else "else"
            if branch in schema:
                out.extend(sub(schema[branch], value))

    @staticmethod
    def _numbers(schema: dict, value: float, where: str, out: list[str]) -> None:
        checks = (("minimum", lambda limit: value >= limit, "less than minimum"),
                  ("maximum", lambda limit: value <= limit, "greater than maximum"),
                  ("exclusiveMinimum", lambda limit: value > limit, "not greater than exclusiveMinimum"),
                  ("exclusiveMaximum", lambda limit: value < limit, "not less than exclusiveMaximum"))
        for key, ok, text in checks:
            if key in schema and not ok(schema[key]):
                out.append(f"{where}: {jsonx.encode(value)} is {text} {jsonx.encode(schema[key])}")
        step = schema.get("multipleOf")
        quotient = value / step if step else 0
        if step and abs(quotient - round(quotient)) > 1e-9 * max(1.0, abs(quotient)):
            out.append(f"{where}: {jsonx.encode(value)} is not a multiple of {jsonx.encode(step)}")

    def _strings(self, schema: dict, value: str, where: str, out: list[str]) -> None:
        if "minLength" in schema and len(value) < schema["minLength"]:
            out.append(f"{where}: length {len(value)} is less than minLength {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            out.append(f"{where}: length {len(value)} is greater than maxLength {schema['maxLength']}")
        if "pattern" in schema:
            regex = self._patterns.get(schema["pattern"]) or self._regex(schema["pattern"], where)
            self._patterns[schema["pattern"]] = regex
            if not regex.search(value):
                out.append(f"{where}: does not match pattern {schema['pattern']!r}")
        check = FORMATS.get(schema.get("format", ""))
        if check and not check(value):
            out.append(f"{where}: is not a valid {schema['format']}")

    @staticmethod
    def _arrays(schema: dict, value: list, path: str, out: list[str], sub: Callable) -> None:
        where = path or "/"
        prefix = schema.get("prefixItems", [])
        items = schema.get("items")
        if isinstance(items, list) and items:   # draft-4 tuple form
            prefix, items = items, None
        for i, item in enumerate(value):
            s = prefix[i] if i < len(prefix) else items
            if s is not None:
                out.extend(sub(s, item, f"{path}/{i}"))
        if "minItems" in schema and len(value) < schema["minItems"]:
            out.append(f"{where}: {len(value)} items, fewer than minItems {schema['minItems']}")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            out.append(f"{where}: {len(value)} items, more than maxItems {schema['maxItems']}")
        if schema.get("uniqueItems") and any(_equal(a, b) for i, a in enumerate(value)
                                             for b in value[i + 1:]):
            out.append(f"{where}: items are not unique")
        if "contains" in schema and not any(not sub(schema["contains"], v) for v in value):
            out.append(f"{where}: no item matches 'contains'")

    @staticmethod
    def _objects(schema: dict, value: dict, path: str, out: list[str], sub: Callable) -> None:
        where = path or "/"
        for name in schema.get("required", ()):
            if name not in value:
                out.append(f"{where}: missing required property {name!r}")
        props = _object(schema.get("properties", {}))
        patterns = [(re.compile(p), s) for p, s in _object(schema.get("patternProperties", {})).items()]
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            key = str(key)
            child = f"{path}/{key}"
            matched = key in props
            if matched:
                out.extend(sub(props[key], item, child))
            for regex, s in patterns:
                if regex.search(key):
                    matched = True
                    out.extend(sub(s, item, child))
            if not matched and extra is not None:
                if extra is False:
                    out.append(f"{child}: additional property is not allowed")
                else:
                    out.extend(sub(extra, item, child))
            if "propertyNames" in schema:
                out.extend(sub(schema["propertyNames"], key, child))
        if "minProperties" in schema and len(value) < schema["minProperties"]:
            out.append(f"{where}: fewer than minProperties {schema['minProperties']}")
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            out.append(f"{where}: more than maxProperties {schema['maxProperties']}")
        for name, needed in _object(schema.get("dependentRequired", {})).items():
            if name in value:
                for other in needed:
                    if other not in value:
                        out.append(f"{where}: property {other!r} is required when {name!r} is present")


_cache: dict[str, Validator] = {}


def compile_schema(schema: Any) -> Validator:
    """A validator for `schema`, cached by its canonical JSON text (at most 100 kept)."""
    key = jsonx.encode(schema)
    found = _cache.get(key)
    if found is None:
        found = Validator(schema)
        if len(_cache) >= 100:
            _cache.pop(next(iter(_cache)))
        _cache[key] = found
    return found


def summary(errors: list[str]) -> str:
    """One line in the Go runtime's shape: the first error and how many more."""
    first = errors[0]
    return first if len(errors) == 1 else f"{first} (+{len(errors) - 1} more)"
