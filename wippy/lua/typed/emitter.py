"""Output of the typed-Lua front end: type trees as Lua code that builds runtime
type values (types.lua), and the source with the parser's edits applied."""
from __future__ import annotations

import re

# The type runtime as the compiled chunk sees it: a local bound on line 1 to the
# sandbox global of the same name, so user code cannot swap it mid-chunk.
RUNTIME = "__wippy_types"
_NOT_NEWLINE = re.compile(r"[^\r\n]")


def type_code(t: tuple) -> str:
    tag = t[0]
    if tag == "prim":
        return f'{RUNTIME}.P["{t[1]}"]'
    if tag == "generic":
        return f'{RUNTIME}.P["any"]'   # a type parameter accepts anything at run time
    if tag == "ref":
        name = t[1]
        return f'{RUNTIME}.ref("{name}", function() return {name} end)'
    if tag == "lit":
        return f"{RUNTIME}.lit({t[1]})"
    if tag in ("opt", "array", "variadic"):
        return f"{RUNTIME}.{tag}({type_code(t[1])})"
    if tag in ("union", "inter", "tuple"):
        return f"{RUNTIME}.{tag}({{{', '.join(type_code(m) for m in t[1])}}})"
    if tag == "map":
        return f"{RUNTIME}.map({type_code(t[1])}, {type_code(t[2])})"
    if tag == "record":
        fields = ", ".join(f'{{"{key}", {type_code(ft)}, {"true" if opt else "false"}'
                           + (f', "{access}"}}' if access else "}")
                           for key, opt, ft, access in t[1])
        extra = f", {type_code(t[2][0])}, {type_code(t[2][1])}" if t[2] else ""
        return f"{RUNTIME}.record({{{fields}}}{extra})"
    if tag == "func":
        params = ", ".join(type_code(p) for p in t[1])
        return f"{RUNTIME}.func({{{params}}}, {type_code(t[2])})"
    if tag == "valid":
        checks = ", ".join(f'{{"{name}"{"".join(", " + a for a in args)}}}' for name, args in t[2])
        return f"{RUNTIME}.valid({type_code(t[1])}, {{{checks}}})"
    raise AssertionError(f"unknown type tree {tag}")


def blank(text: str) -> str:
    """Spaces for every character but line breaks: lines and columns stay put."""
    return _NOT_NEWLINE.sub(" ", text)


def apply_edits(src: str, edits: list[tuple[int, int, str | None]], prefix: str = "") -> str:
    out = [prefix]
    pos = 0
    for start, end, text in sorted(edits, key=lambda e: (e[0], -e[1])):
        if start < pos:      # inside a span already rewritten (e.g. typeof in a blanked type)
            continue
        out.append(src[pos:start])
        out.append(blank(src[start:end]) if text is None else text)
        pos = end
    out.append(src[pos:])
    return "".join(out)
