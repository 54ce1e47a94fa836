"""Expressions: Lua 5.4 operator precedence (as in lparser.c) plus the postfix
type forms `x :: T`, `x as T` (unchecked casts) and `x!` (non-nil assertion),
all erased. `typeof(local)` of an annotated local gets the declared type passed in."""
from __future__ import annotations

from .emitter import blank
from .errors import TypedLuaSyntaxError
from .lexer import KEYWORD, NAME, NUMBER, STRING, SYMBOL
from .typegrammar import TypeParser

# operator: (left priority, right priority); right < left makes it right-associative
BINARY = {"or": (1, 1), "and": (2, 2),
          "<": (3, 3), ">": (3, 3), "<=": (3, 3), ">=": (3, 3), "~=": (3, 3), "==": (3, 3),
          "|": (4, 4), "~": (5, 5), "&": (6, 6), "<<": (7, 7), ">>": (7, 7),
          "..": (9, 8), "+": (10, 10), "-": (10, 10),
          "*": (11, 11), "/": (11, 11), "//": (11, 11), "%": (11, 11), "^": (14, 13)}
UNARY = frozenset(("not", "-", "#", "~"))
UNARY_PRIORITY = 12
MAX_DEPTH = 200   # as LUAI_MAXCCALLS: deep nesting is an error, not a Python RecursionError

CALL, VAR, OTHER = "call", "var", "other"


class ExprParser(TypeParser):
    depth = 0

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.error("chunk has too many syntax levels")

    def expr(self, limit: int = 0) -> str:
        self._enter()
        try:
            t = self.tok
            if t.value in UNARY and t.kind in (SYMBOL, KEYWORD):
                self.advance()
                self.expr(UNARY_PRIORITY)
                kind = OTHER
            else:
                kind = self.simple_expr()
            while True:
                op = self.tok
                pri = BINARY.get(op.value) if op.kind in (SYMBOL, KEYWORD) else None
                if pri is None or pri[0] <= limit:
                    return kind
                self.advance()
                self.expr(pri[1])
                kind = OTHER
        finally:
            self.depth -= 1

    def simple_expr(self) -> str:
        t = self.tok
        if t.kind in (NUMBER, STRING) or t.is_("nil") or t.is_("true") or t.is_("false") \
                or t.is_("..."):
            self.advance()
            kind = OTHER
        elif t.is_("{"):
            self.table()
            kind = OTHER
        elif t.is_("function"):
            self.advance()
            self.funcbody(t)
            kind = OTHER
        else:
            kind = self.suffixed_expr()
        return self._casts(kind)

    def _casts(self, kind: str) -> str:
        while True:
            t = self.tok
            if t.is_("::") and not self._label_ahead():
                self.advance()
                self.type_expr()
                self._erase_cast(t.start)
                kind = OTHER
            elif t.kind == NAME and t.value == "as":
                # `as` is also a plain name: a cast only if a type follows (else it
                # starts the next statement, as in `x = y  as = 1`).
                mark = self.mark()
                self.advance()
                try:
                    self.type_expr()
                except TypedLuaSyntaxError:
                    self.reset(mark)
                    return kind
                self._erase_cast(t.start)
                kind = OTHER
            else:
                return kind

    def _erase_cast(self, start: int) -> None:
        """Blank `:: T` / `as T`. Nothing may follow a cast but an operator, so a `(`
        here starts the next statement: end this one with `;`, or Lua, not seeing
        the cast, would read `x (f)()` as a call."""
        if self.check("("):
            self.replace(start, self.prev_end, blank(self.src[start:self.prev_end - 1]) + ";")
        else:
            self.blank(start, self.prev_end)

    def _label_ahead(self) -> bool:
        """`::name::` here is the next statement's label, not a cast to `name`,
        unless a label follows the cast itself (`x :: T  ::done::`)."""
        if not (self.peek().kind == NAME and self.peek(2).is_("::")):
            return False
        return not (self.peek(3).kind == NAME and self.peek(4).is_("::"))

    def primary_expr(self) -> str:
        t = self.tok
        if t.kind == NAME:
            self.advance()
            return VAR
        if t.is_("("):
            self.advance()
            self.expr()
            self.expect(")", t)
            return OTHER
        self.error("unexpected symbol")

    def suffixed_expr(self) -> str:
        first = self.tok
        kind = self.primary_expr()
        typeof_call = first.kind == NAME and first.value == "typeof" and not self.lookup("typeof")[0]
        while True:
            t = self.tok
            if t.is_("."):
                self.advance()
                self.name()
                kind = VAR
            elif t.is_("["):
                self.advance()
                self.expr()
                self.expect("]", t)
                kind = VAR
            elif t.is_(":"):
                self.advance()
                self.name()
                self.call_args()
                kind = CALL
            elif t.is_("(") or t.is_("{") or t.kind == STRING:
                if typeof_call and t.is_("("):
                    self._typeof_args()
                else:
                    self.call_args()
                kind = CALL
            elif t.is_("!"):
                self.advance()
                self.blank(t.start, t.end)
            else:
                return kind
            typeof_call = False

    def call_args(self) -> None:
        t = self.tok
        if t.kind == STRING:
            self.advance()
        elif t.is_("{"):
            self.table()
        else:
            self.advance()   # '('
            if not self.check(")"):
                self.expr_list()
            self.expect(")", t)

    def _typeof_args(self) -> None:
        """`typeof(x)` of a local declared `x: T` is given T (values do not carry it)."""
        arg, close = self.peek(), self.peek(2)
        if arg.kind == NAME and close.is_(")"):
            is_local, declared = self.lookup(arg.value)
            if is_local and declared is not None:
                self.replace(close.start, close.start, ", " + self.type_code(declared))
        self.call_args()

    def expr_list(self) -> int:
        n = 1
        self.expr()
        while self.accept(","):
            self.expr()
            n += 1
        return n

    def table(self) -> None:
        open_ = self.advance()
        while not self.check("}"):
            if self.check("["):
                t = self.advance()
                self.expr()
                self.expect("]", t)
                self.expect("=")
                self.expr()
            elif self.tok.kind == NAME and self.peek().is_("="):
                self.advance()
                self.advance()
                self.expr()
            else:
                self.expr()
            if not (self.accept(",") or self.accept(";")):
                break
        self.expect("}", open_)
