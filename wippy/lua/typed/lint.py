"""`wippy lint`: the checks of en/guides/linter.md we do (docs/lua-types.md has the
table of codes and what is not done).

The typed parser walks the source once more with hooks that record declarations,
uses and literal values; this file keeps scopes, names, records and literal
assignments, and mixes in the nil-safety of `T?` with its narrowing (lint_flow.py,
lint_facts.py) and the argument checks on calls (lint_calls.py, lint_modules.py):

    P0001 error    syntax error (Lua or type syntax)
    E0001 error    a literal not assignable to a declared type (a local's value, an argument)
    E0002 error    a global that is read but never defined
    E0003 error    a field a record type does not have: `u.nmae` for `local u: User`
    E0004 error    an optional local indexed, called or in arithmetic where not narrowed
    E0005 error    wrong argument count on a call of an annotated local function or a module
    W0001..W0007   warnings, only with --rules: empty block, global assignment,
                   self-comparison, unused local, parameter, import, shadowing
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

from .errors import TypedLuaSyntaxError
from .lexer import NAME, NUMBER, STRING
from .lint_calls import CallChecks
from .lint_facts import literal_kind, string_content
from .lint_flow import FlowChecks, type_text
from .parser import Parser

SANDBOX_GLOBALS = frozenset((
    "assert error ipairs next pairs select tonumber tostring type rawequal rawget rawlen rawset "
    "unpack pcall xpcall getmetatable setmetatable print string table math utf8 coroutine os "
    "_VERSION _G require errors typeof Number Integer String Boolean Any Unknown Nil Never "
    "Table number integer boolean __wippy_types process channel payload").split())


@dataclass
class Diagnostic:
    code: str
    severity: str        # error | warning | hint
    message: str
    line: int
    column: int

    def to_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "line": self.line, "column": self.column}


class _Decl:
    """A local: where declared, its declared type, the narrowing frame of its scope
    (lint_flow.py), its signature when it is a local function (lint_calls.py)."""
    __slots__ = ("tok", "param", "used", "typ", "frame", "sig", "assigned", "imported", "module",
                 "partners")

    def __init__(self, tok, param: bool, typ, frame: set):
        self.tok, self.param, self.used, self.typ, self.frame = tok, param, False, typ, frame
        self.sig, self.assigned, self.imported, self.module = None, False, False, None
        self.partners: list = []   # `local v, err = f()`: err's partners are [v]


class LintParser(CallChecks, FlowChecks, Parser):
    def __init__(self, src: str, chunk: str, modules: frozenset):
        super().__init__(src, chunk)
        self._flow_init()
        self._calls_init()
        self.diags: list[Diagnostic] = []
        self.decls: list[dict[str, _Decl]] = [{}]
        self.aliases: dict[str, tuple] = {}
        self.globals_set: set[str] = set()
        self.never_globals: set[str] = set()   # `function fail(msg): never` (lint_flow.py)
        self.global_reads: list = []
        self.known = SANDBOX_GLOBALS | modules
        self.modules = modules
        self._tokens: dict[str, object] = {}
        self._params = False

    def report(self, code: str, severity: str, message: str, tok) -> None:
        self.diags.append(Diagnostic(code, severity, message, tok.line, tok.col))

    # ------------------------------------------------------------ scopes
    def name(self):
        tok = super().name()
        self._tokens[tok.value] = tok
        return tok

    def open_scope(self) -> None:
        super().open_scope()
        self.decls.append({})

    def close_scope(self) -> None:
        super().close_scope()
        for name, d in self.decls.pop().items():
            if not d.used and not name.startswith("_") and name not in ("self", "..."):
                if d.param:
                    self.report("W0005", "warning", f"unused parameter '{name}'", d.tok)
                elif d.imported:
                    self.report("W0006", "warning", f"unused import '{name}'", d.tok)
                else:
                    self.report("W0004", "warning", f"unused local '{name}'", d.tok)

    def declare(self, name: str, typ: object = None) -> None:
        super().declare(name, typ)
        tok = self._tokens.get(name, self.tok)
        if any(name in scope for scope in self.decls[:-1]) and not name.startswith("_") \
                and name != "self":
            self.report("W0007", "warning", f"'{name}' shadows a local of an outer scope", tok)
        self.decls[-1][name] = _Decl(tok, self._params, typ, self.frames[-1])
        if self._params:
            self.declare_param(name, typ)

    def _use(self, name: str) -> bool:
        for scope in reversed(self.decls):
            if name in scope:
                scope[name].used = True
                return True
        return False

    def funcbody(self, t, method: bool = False) -> None:
        self._params = True
        try:
            super().funcbody(t, method)
        finally:
            self._params = False

    def block(self) -> None:
        self._params = False   # locals of a body are not parameters
        super().block()

    # ------------------------------------------------------------ names and fields
    def primary_expr(self) -> str:
        tok = self.tok
        kind = super().primary_expr()
        if tok.kind == NAME and not self._use(tok.value):
            self.global_reads.append(tok)
        if tok.kind == NAME and self.check(".") and self.peek().kind == NAME:
            self._check_field(tok, self.peek())
        if tok.kind == NAME:
            self._nil_use(tok)
            self.call_site(tok)
        return kind

    def _check_field(self, base, field) -> None:
        is_local, declared = self.lookup(base.value)
        record = self._record(declared) if is_local else None
        if record is not None and record[2] is None and \
                field.value not in {f[0] for f in record[1]}:
            self.report("E0003", "error", f"field '{field.value}' does not exist on "
                        f"{type_text(declared)}", field)

    def _resolve(self, tree, hops: int = 0):
        while tree is not None and tree[0] == "ref" and hops < 20:
            tree, hops = self.aliases.get(tree[1]), hops + 1
        return tree

    def _record(self, tree):
        tree = self._resolve(tree)
        if tree is not None and tree[0] == "opt":     # `u.nmae` is wrong on a User? too
            tree = self._resolve(tree[1])
        return tree if tree is not None and tree[0] == "record" else None

    def expr_statement(self) -> None:
        tok = self.tok
        if tok.kind == NAME and (self.peek().is_("=") or self.peek().is_(",")) \
                and not self.lookup(tok.value)[0]:
            self.globals_set.add(tok.value)
            self.report("W0002", "warning", f"assignment to global '{tok.value}'", tok)
        start = self.pos
        super().expr_statement()
        self._assigned(start)

    def _assigned(self, start: int) -> None:
        """After `a, b.c = ...` (tokens from `start`): the plain local targets are
        reassigned (their signature no longer trusted) and, unless the value is a
        lone `nil`, non-nil from here on (lint_flow.py)."""
        targets, part, depth = [], [], 0
        for i in range(start, self.pos):
            t = self.toks[i]
            if t.is_("(") or t.is_("[") or t.is_("{"):
                depth += 1
            elif t.is_(")") or t.is_("]") or t.is_("}"):
                depth -= 1
            elif depth == 0 and (t.is_(",") or t.is_("=")):
                targets.append(part)
                part = []
                if t.is_("="):
                    value = self.toks[i + 1:self.pos]
                    break
                continue
            part.append(t)
        else:
            return
        nil = len(value) == 1 and value[0].is_("nil")
        for part in targets:
            if len(part) == 1 and part[0].kind == NAME:
                decl = self._find_decl(part[0].value)
                if decl is not None:
                    decl.assigned = True
                    if not nil:
                        self.mark_non_nil(decl)

    def _statement(self) -> None:
        t = self.tok
        global_function = None
        if t.is_("function") and self.peek().kind == NAME and not self.lookup(
                self.peek().value)[0]:
            self.globals_set.add(self.peek().value)
            if self.peek(2).is_("("):
                global_function = self.peek().value
        local_function = self.peek(2) if t.is_("local") and self.peek().is_("function") else None
        super()._statement()
        if global_function is not None and self.last_sig is not None and self.last_sig.never:
            self.never_globals.add(global_function)
        if local_function is not None:
            decl = self._find_decl(local_function.value)
            if decl is not None:
                decl.sig = self.last_sig

    def type_decl(self, t) -> None:
        name = self.toks[self.pos + (2 if t.value == "export" else 1)].value
        super().type_decl(t)
        self.aliases[name] = self._last_type
        self.decls[-1][name].used = True   # a type is used by annotations, not counted here

    def type_expr(self) -> tuple:
        tree = super().type_expr()
        self._last_type = tree
        return tree

    # ------------------------------------------------------------ literal assignments
    def local_names(self) -> None:
        names = []
        while True:
            names.append(self.tok)
            self.name()
            if self.check("<") and self.peek().kind == NAME and self.peek(2).is_(">"):
                for _ in range(3):
                    self.advance()
            names[-1] = (names[-1], self.annotation())
            if not self.accept(","):
                break
        values, firsts, sig = [], [], None
        if self.accept("="):
            while True:
                start = self.pos
                kind = self.expr()
                values.append(self.toks[start] if self.pos == start + 1 else None)
                firsts.append(start)
                last = self.last_sig
                if self.toks[start].is_("function") and last is not None \
                        and last.span == (start + 1, self.pos):
                    sig = last       # `local f = function(...) ... end`
                if not self.accept(","):
                    break
        for i, (tok, tree) in enumerate(names):
            if tree is not None and i < len(values) and values[i] is not None:
                self._check_literal(tree, values[i])
            self.declare(tok.value, tree)
            decl = self.decls[-1][tok.value]
            first = firsts[i] if i < len(firsts) else None
            if first is not None:
                self._initialised(decl, first)
            if sig is not None and len(names) == 1:
                decl.sig = sig
            if i and len(firsts) == 1 and kind == "call":
                decl.partners = [self.decls[-1][t.value] for t, _ in names[:i]]

    def _initialised(self, decl, at: int) -> None:
        """`local x: T? = <value>` (starting at token `at`): non-nil from the start when
        the value is a literal, a table or a function; `require(...)` makes the local
        an import (W0006) and, with a literal name, that module's (lint_modules.py)."""
        first = self.toks[at]
        if first.kind in (STRING, NUMBER) or first.is_("{") or first.is_("function") \
                or first.is_("true") or first.is_("false"):
            self.mark_non_nil(decl)
        if first.kind == NAME and first.value == "require" and \
                self._find_decl("require") is None:
            decl.imported = True
            arg = self.toks[at + 2] if self.toks[at + 1].is_("(") else self.toks[at + 1]
            if arg.kind == STRING:
                decl.module = string_content(arg)

    def _check_literal(self, tree, value) -> None:
        kind = literal_kind(value)
        if kind is None:
            return
        if not self._accepts(tree, kind, value.value, 0):
            got = value.value if tree_has_literals(self._resolve(tree)) and kind == "string" else kind
            self.report("E0001", "error", f"{got} not assignable to {type_text(tree)}", value)

    def _accepts(self, tree, kind: str, text: str, depth: int) -> bool:
        tree = self._resolve(tree)
        if tree is None or depth > 20:
            return True
        tag = tree[0]
        if tag == "valid":
            return self._accepts(tree[1], kind, text, depth + 1)
        if tag == "opt":
            return kind == "nil" or self._accepts(tree[1], kind, text, depth + 1)
        if tag in ("union",):
            return any(self._accepts(m, kind, text, depth + 1) for m in tree[1])
        if tag == "inter":
            return all(self._accepts(m, kind, text, depth + 1) for m in tree[1])
        if tag == "lit":
            return kind != "string" or _string_value(tree[1]) == _string_value(text)
        if tag == "prim":
            p = tree[1]
            if p in ("any", "unknown"):
                return True
            if p == "number":
                return kind in ("number", "integer")
            return p == kind or (p not in ("string", "integer", "boolean", "nil", "never")
                                 and kind != "nil")
        if tag in ("record", "array", "map", "func"):
            return kind not in ("string", "number", "integer", "boolean", "nil")
        return True


def tree_has_literals(tree) -> bool:
    if tree is None:
        return False
    if tree[0] == "lit":
        return True
    return tree[0] == "union" and any(m[0] == "lit" for m in tree[1])


def _string_value(text: str) -> str:
    """The value of a short literal for comparing literal types (quotes stripped)."""
    if text[:1] in "\"'" and text[-1:] == text[:1]:
        return text[1:-1]
    return text


def lint(source: str, chunk: str, modules=(), rules: bool = False) -> list[Diagnostic]:
    """Diagnostics for one Lua source, sorted by line. W codes only with `rules`."""
    # The parser stops nesting at 200 levels (expressions.MAX_DEPTH); the lint hooks
    # add Python frames per level, so allow for them (wippy lint is a one-thread CLI).
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 8000))
    try:
        parser = LintParser(source, chunk, frozenset(modules))   # tokenizes: may raise too
        parser.parse_chunk()
        parser.close_scope()    # the chunk's own scope: unused top-level locals
    except TypedLuaSyntaxError as exc:
        return [Diagnostic("P0001", "error", exc.message, exc.line, exc.column)]
    finally:
        sys.setrecursionlimit(limit)
    parser.check_calls()
    diags = parser.diags
    for tok in parser.global_reads:
        if tok.value not in parser.known and tok.value not in parser.globals_set:
            diags.append(Diagnostic("E0002", "error", f"undefined variable '{tok.value}'",
                                    tok.line, tok.col))
    if not rules:
        diags = [d for d in diags if not d.code.startswith("W")]
    return sorted(diags, key=lambda d: (d.line, d.column, d.code))


__all__ = ["Diagnostic", "lint"]
