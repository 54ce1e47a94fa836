"""The signature tables modules declare in their `signatures.py` (SIGNATURES = text).

One declaration a line; `#` starts a comment line; `--` starts a description:

    request(options?: table): http.Request?, error?   -- the request of this call
    encrypt.aes(key: string, data: string): string?, error?
    class http.Request                                 -- methods follow, indented
      method(): string
      header(name: string): string?
    alias http.Handler = fun(req: http.Request)

Parameters are `name: type`, `name?: type` (optional) or `...: type`; types are
LuaLS types. A function without `: returns` returns nothing.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Param:
    name: str
    type: str
    optional: bool = False


@dataclass
class Func:
    name: str                 # dotted path inside the module, or a method name
    params: list[Param]
    returns: list[str]
    doc: str = ""
    line: int = 0


@dataclass
class Cls:
    name: str
    doc: str = ""
    methods: list[Func] = field(default_factory=list)
    fields: list[Param] = field(default_factory=list)


@dataclass
class Signatures:
    functions: dict[str, Func] = field(default_factory=dict)
    classes: list[Cls] = field(default_factory=list)
    aliases: list[tuple[str, str]] = field(default_factory=list)


class SignatureError(ValueError):
    pass


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split at `sep` outside (), <>, {}, [] (types like `fun(a: x, b: y): z`)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "(<{[":
            depth += 1
        elif ch in ")>}]":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _closing(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    raise SignatureError("unbalanced parentheses")


def parse_func(text: str, line: int = 0) -> Func:
    text, _, doc = text.partition(" -- ")
    text = text.strip()
    open_at = text.find("(")
    if open_at <= 0:
        raise SignatureError(f"expected name(params), got {text!r}")
    name = text[:open_at].strip()
    close = _closing(text, open_at)
    params = []
    for raw in split_top(text[open_at + 1:close]):
        pname, colon, ptype = raw.partition(":")
        if not colon:
            raise SignatureError(f"parameter {raw!r} of {name} has no type (name: type)")
        pname = pname.strip()
        optional = pname.endswith("?")
        params.append(Param(pname.rstrip("?"), ptype.strip(), optional))
    rest = text[close + 1:].strip()
    returns: list[str] = []
    if rest:
        if not rest.startswith(":"):
            raise SignatureError(f"expected ': returns' after the parameters of {name}")
        returns = split_top(rest[1:])
    return Func(name, params, returns, doc.strip(), line)


def parse(text: str) -> Signatures:
    sigs = Signatures()
    current: Cls | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            indented = raw[:1] in (" ", "\t")
            if stripped.startswith("class "):
                name, _, doc = stripped[6:].partition(" -- ")
                current = Cls(name.strip(), doc.strip())
                sigs.classes.append(current)
            elif stripped.startswith("alias "):
                name, eq, value = stripped[6:].partition("=")
                if not eq:
                    raise SignatureError("expected alias Name = type")
                sigs.aliases.append((name.strip(), value.strip()))
                current = None
            elif indented and current is not None and stripped.startswith("field "):
                fname, _, ftype = stripped[6:].partition(":")
                current.fields.append(Param(fname.strip().rstrip("?"), ftype.strip(),
                                            fname.strip().endswith("?")))
            elif indented and current is not None:
                current.methods.append(parse_func(stripped, n))
            else:
                current = None
                func = parse_func(stripped, n)
                if func.name in sigs.functions:
                    raise SignatureError(f"{func.name} is declared twice")
                sigs.functions[func.name] = func
        except SignatureError as exc:
            raise SignatureError(f"line {n}: {exc}") from None
    return sigs


def module_signatures(module: Any) -> Signatures | None:
    """The signatures declared next to `module`'s code, or None if it has none."""
    package = type(module).__module__.rpartition(".")[0]
    try:
        found = importlib.import_module(package + ".signatures")
    except ModuleNotFoundError as exc:
        if exc.name != package + ".signatures":
            raise
        return None
    try:
        return parse(found.SIGNATURES)
    except SignatureError as exc:
        raise SignatureError(f"{package}.signatures: {exc}") from None
