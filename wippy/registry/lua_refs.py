"""What a Lua source asks for, found without running it: `require("name")` of modules the
entry does not declare (an error: the call would fail on its first request), and
string-literal entry ids given to `queue.publish("…")` and `sql.get("…")` that name no
entry of the right kind (a warning: the id may be built or created at run time).

Sources are read with the typed-Lua lexer, so comments and strings never give false hits
and typed sources work the same. A source that does not lex is left to the syntax check.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..lua.typed.errors import TypedLuaSyntaxError
from ..lua.typed.lexer import NAME, STRING, Token, tokenize
from .entry import qualify

# module -> (function, kind prefix of the entries its first argument names, what to call them)
ID_ARGUMENTS = {"queue": ("publish", "queue.queue", "queue"), "sql": ("get", "db.sql.", "database")}


@dataclass
class Require:
    name: str
    line: int


@dataclass
class IdUse:
    module: str
    function: str
    entry_id: str
    line: int


def _string_arg(toks: list[Token], i: int) -> tuple[str, int] | None:
    """The string literal argument of a call whose callee ends at toks[i-1]: `f "x"` or
    `f("x"` (only a lone literal first argument counts)."""
    if i < len(toks) and toks[i].kind == STRING:
        return _unquote(toks[i].value), toks[i].line
    if (i + 1 < len(toks) and toks[i].is_("(") and toks[i + 1].kind == STRING
            and i + 2 < len(toks) and (toks[i + 2].is_(")") or toks[i + 2].is_(","))):
        return _unquote(toks[i + 1].value), toks[i + 1].line
    return None


def _unquote(text: str) -> str:
    """The value of a plain short string literal; escapes are rare in ids and names."""
    if text[:1] in "\"'" and text[-1:] == text[:1]:
        return text[1:-1]
    if text.startswith("["):
        return text[text.index("[", 1) + 1: text.rindex("]", 0, -1)].lstrip("\n")
    return text


def scan(source: str, namespace: str) -> tuple[list[Require], list[IdUse]]:
    """Every `require` of a literal name, and every literal id given to the functions of
    ID_ARGUMENTS through a local bound to `require("<module>")`."""
    try:
        toks = tokenize(source)
    except TypedLuaSyntaxError:
        return [], []
    requires: list[Require] = []
    uses: list[IdUse] = []
    alias: dict[str, str] = {}     # local name -> module it was bound to
    for i, tok in enumerate(toks):
        if tok.kind != NAME:
            continue
        if tok.value == "require" and not (i and toks[i - 1].is_(".") or i and toks[i - 1].is_(":")):
            arg = _string_arg(toks, i + 1)
            if arg:
                requires.append(Require(arg[0], arg[1]))
                # local NAME = require("module")
                if i >= 2 and toks[i - 1].is_("=") and toks[i - 2].kind == NAME:
                    alias[toks[i - 2].value] = arg[0]
        elif (tok.value in alias and i + 2 < len(toks) and toks[i + 1].is_(".")
              and toks[i + 2].kind == NAME):
            module = alias[tok.value]
            spec = ID_ARGUMENTS.get(module)
            if spec and toks[i + 2].value == spec[0]:
                arg = _string_arg(toks, i + 3)
                if arg and arg[0]:
                    uses.append(IdUse(module, spec[0], qualify(arg[0], namespace), arg[1]))
    return requires, uses
