"""Statements of Wippy's Lua (Lua 5.4 statements plus annotations and `type`).

Annotations on locals, parameters, returns and loop variables are blanked; a
`type` declaration is replaced, on its own lines, by the construction of its
runtime type value (emitter.py)."""
from __future__ import annotations

from .emitter import RUNTIME, type_code
from .expressions import CALL, VAR, ExprParser
from .lexer import EOF, NAME

BLOCK_END = frozenset(("end", "else", "elseif", "until"))


class Parser(ExprParser):
    def __init__(self, src: str, chunk: str):
        super().__init__(src, chunk)
        self.hoisted: list[str] = []     # module-level type names, declared on line 1
        self.uses_runtime = False

    def type_code(self, tree: tuple) -> str:
        self.uses_runtime = True
        return type_code(tree)

    # ------------------------------------------------------------ blocks
    def parse_chunk(self) -> None:
        self.block()
        if self.tok.kind != EOF:
            self.error("'<eof>' expected")

    def block(self) -> None:
        while True:
            t = self.tok
            if t.kind == EOF or (t.kind == "keyword" and t.value in BLOCK_END):
                return
            if t.is_("return"):
                self.advance()
                nt = self.tok
                if not (nt.kind == EOF or nt.is_(";") or
                        (nt.kind == "keyword" and nt.value in BLOCK_END)):
                    self.expr_list()
                self.accept(";")
                return
            self.statement()

    def scoped_block(self) -> None:
        self.open_scope()
        try:
            self.block()
        finally:
            self.close_scope()

    # ------------------------------------------------------------ statements
    def statement(self) -> None:
        self._enter()
        try:
            self._statement()
        finally:
            self.depth -= 1

    def _statement(self) -> None:
        t = self.tok
        if t.kind == NAME:
            if t.value == "type" and self.peek().kind == NAME:
                return self.type_decl(t)
            if t.value == "export" and self.peek().kind == NAME and self.peek().value == "type" \
                    and self.peek(2).kind == NAME:
                return self.type_decl(t)
            return self.expr_statement()
        v = t.value if t.kind in ("symbol", "keyword") else None
        if v == ";":
            self.advance()
        elif v == "::":
            self.advance()
            self.name()
            self.expect("::")
        elif v == "break":
            self.advance()
        elif v == "goto":
            self.advance()
            self.name()
        elif v == "do":
            self.advance()
            self.scoped_block()
            self.expect("end", t)
        elif v == "while":
            self.advance()
            self.expr()
            self.expect("do")
            self.scoped_block()
            self.expect("end", t)
        elif v == "repeat":
            self.advance()
            self.open_scope()   # `until` sees the body's locals
            self.block()
            self.expect("until", t)
            self.expr()
            self.close_scope()
        elif v == "if":
            self.advance()
            self.expr()
            self.expect("then")
            self.scoped_block()
            while self.check("elseif"):
                self.advance()
                self.expr()
                self.expect("then")
                self.scoped_block()
            if self.accept("else"):
                self.scoped_block()
            self.expect("end", t)
        elif v == "for":
            self.for_statement(t)
        elif v == "function":
            self.advance()
            self.name()
            method = False
            while self.check(".") or self.check(":"):
                method = self.advance().value == ":"
                self.name()
                if method:
                    break
            self.funcbody(t, method)
        elif v == "local":
            self.advance()
            if self.accept("function"):
                name = self.name().value
                self.declare(name)
                self.funcbody(t)
            else:
                self.local_names()
        else:
            self.expr_statement()

    def expr_statement(self) -> None:
        kind = self.suffixed_expr()
        if self.check("=") or self.check(","):
            while True:
                if kind != VAR:
                    self.error("syntax error")
                if not self.accept(","):
                    break
                kind = self.suffixed_expr()
            self.expect("=")
            self.expr_list()
        elif kind != CALL:
            self.error("syntax error")

    def annotation(self) -> tuple | None:
        """`: Type` after a name: blanked; returns the type tree."""
        if not self.check(":"):
            return None
        start = self.advance().start
        tree = self.type_expr()
        self.blank(start, self.prev_end)
        return tree

    def local_names(self) -> None:
        names: list[tuple[str, tuple | None]] = []
        while True:
            name = self.name().value
            if self.check("<") and self.peek().kind == NAME and self.peek(2).is_(">"):
                self.advance()
                self.advance()
                self.advance()   # Lua 5.4 <const> / <close>: kept as written
            names.append((name, self.annotation()))
            if not self.accept(","):
                break
        if self.accept("="):
            self.expr_list()
        for name, tree in names:
            self.declare(name, tree)

    def for_statement(self, t) -> None:
        self.advance()
        names = [(self.name().value, self.annotation())]
        self.open_scope()
        if self.accept("="):
            self.expr()
            self.expect(",")
            self.expr()
            if self.accept(","):
                self.expr()
        else:
            while self.accept(","):
                names.append((self.name().value, self.annotation()))
            self.expect("in")
            self.expr_list()
        self.expect("do")
        for name, tree in names:
            self.declare(name, tree)
        self.scoped_block()
        self.close_scope()
        self.expect("end", t)

    def funcbody(self, t, method: bool = False) -> None:
        generics = frozenset()
        if self.check("<"):
            start = self.tok.start
            generics = self.generic_params()
            self.blank(start, self.prev_end)
        self.generics.append(generics)
        self.open_scope()
        try:
            if method:
                self.declare("self")
            open_ = self.expect("(")
            while not self.check(")"):
                if self.accept("..."):
                    self.annotation()
                    break
                name = self.name().value
                self.declare(name, self.annotation())
                if not self.accept(","):
                    break
            self.expect(")", open_)
            if self.check(":"):
                start = self.advance().start
                self.return_type()
                while self.accept(","):    # `): string?, error?` as in Wippy's examples
                    self.return_type()
                self.blank(start, self.prev_end)
            self.block()
            self.expect("end", t)
        finally:
            self.close_scope()
            self.generics.pop()

    def type_decl(self, t) -> None:
        start = t.start
        if t.value == "export":
            self.advance()
        self.advance()   # 'type'
        name = self.name().value
        generics = frozenset()
        if self.check("<"):
            generics = self.generic_params()
        self.generics.append(generics)
        try:
            self.expect("=")
            tree = self.type_expr()
        finally:
            self.generics.pop()
        code = f'{name} = {RUNTIME}.named("{name}", {self.type_code(tree)});'
        if len(self.scopes) == 1:
            if name not in self.hoisted:
                self.hoisted.append(name)
        else:
            code = f"local {name}; {code}"
        self.declare(name)
        # The replacement keeps the declaration's line breaks: what follows stays put.
        self.replace(start, self.prev_end, code + "\n" * self.src.count("\n", start, self.prev_end))
