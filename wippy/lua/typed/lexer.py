"""Tokens of Wippy's Lua: Lua 5.3/5.4 plus the few extra symbols of the type grammar
(`?`, `!`, `@`, `->`). Every token keeps its byte span so the emitter can blank or
replace exact source ranges and leave everything else where it was."""
from __future__ import annotations

from .errors import TypedLuaSyntaxError

KEYWORDS = frozenset(
    "and break do else elseif end false for function goto if in local nil not or "
    "repeat return then true until while".split())

# Longest first: the lexer takes the first symbol that matches.
SYMBOLS = ("...", "..", "::", "<<", ">>", "//", "==", "~=", "<=", ">=", "->",
           "+", "-", "*", "/", "%", "^", "#", "&", "~", "|", "<", ">", "=", "(", ")",
           "{", "}", "[", "]", ";", ":", ",", ".", "!", "?", "@")
_BY_FIRST: dict[str, tuple[str, ...]] = {}
for _s in SYMBOLS:
    _BY_FIRST.setdefault(_s[0], ())
    _BY_FIRST[_s[0]] += (_s,)

NAME, KEYWORD, NUMBER, STRING, SYMBOL, EOF = "name", "keyword", "number", "string", "symbol", "eof"
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | frozenset("0123456789")
_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")


class Token:
    __slots__ = ("kind", "value", "start", "end", "line", "col")

    def __init__(self, kind: str, value: str, start: int, end: int, line: int, col: int):
        self.kind, self.value, self.start, self.end, self.line, self.col = \
            kind, value, start, end, line, col

    def is_(self, value: str) -> bool:
        """True for the symbol or keyword `value` (not a string with that text)."""
        return self.value == value and self.kind in (SYMBOL, KEYWORD)

    def __repr__(self) -> str:
        return f"Token({self.kind}, {self.value!r}, {self.line}:{self.col})"


def _long_bracket(src: str, i: int) -> int:
    """Level of a long bracket `[==[` opening at i, or -1."""
    j = i + 1
    while j < len(src) and src[j] == "=":
        j += 1
    return j - i - 1 if j < len(src) and src[j] == "[" else -1


def tokenize(src: str, chunk: str = "?") -> list[Token]:
    toks: list[Token] = []
    i, n, line, line_start = 0, len(src), 1, 0

    def fail(msg: str, at: int, at_line: int, at_start: int):
        raise TypedLuaSyntaxError(msg, chunk, at_line, at - at_start + 1, src)

    def skip_long(i: int, level: int, what: str) -> int:
        nonlocal line, line_start
        close = "]" + "=" * level + "]"
        j = src.find(close, i)
        if j < 0:
            fail(f"unfinished long {what}", i, line, line_start)
        for k in range(i, j):
            if src[k] == "\n":
                line, line_start = line + 1, k + 1
        return j + len(close)

    while True:
        while i < n:
            c = src[i]
            if c == "\n":
                line, line_start = line + 1, i + 1
                i += 1
            elif c in " \t\r\f\v":
                i += 1
            elif c == "-" and src.startswith("--", i):
                # Comments, `---` doc comments included: not tokens.
                if i + 2 < n and src[i + 2] == "[" and _long_bracket(src, i + 2) >= 0:
                    i = skip_long(i + 2, _long_bracket(src, i + 2), "comment")
                else:
                    j = src.find("\n", i)
                    i = n if j < 0 else j
            else:
                break
        if i >= n:
            toks.append(Token(EOF, "<eof>", n, n, line, n - line_start + 1))
            return toks
        start, tline, col = i, line, i - line_start + 1
        c = src[i]
        if c in _NAME_START:
            j = i + 1
            while j < n and src[j] in _NAME_CHARS:
                j += 1
            word = src[i:j]
            toks.append(Token(KEYWORD if word in KEYWORDS else NAME, word, i, j, tline, col))
            i = j
        elif c in _DIGITS or (c == "." and i + 1 < n and src[i + 1] in _DIGITS):
            j = i
            if src.startswith(("0x", "0X"), i):
                j += 2
                while j < n and (src[j] in _HEX or src[j] == "." or
                                 (src[j] in "pP") or (src[j] in "+-" and src[j - 1] in "pP")):
                    j += 1
            else:
                while j < n and (src[j] in _DIGITS or src[j] == "." or src[j] in "eE" or
                                 (src[j] in "+-" and src[j - 1] in "eE")):
                    j += 1
            if j < n and src[j] in _NAME_START:
                fail(f"malformed number near '{src[i:j + 1]}'", i, tline, line_start)
            toks.append(Token(NUMBER, src[i:j], i, j, tline, col))
            i = j
        elif c in "\"'":
            j = i + 1
            while True:
                if j >= n or src[j] == "\n":
                    fail("unfinished string", i, tline, line_start)
                ch = src[j]
                if ch == "\\":
                    if j + 1 < n and src[j + 1] == "\n":
                        line, line_start = line + 1, j + 2
                    elif src.startswith("z", j + 1):   # \z skips following whitespace
                        k = j + 2
                        while k < n and src[k] in " \t\r\n\f\v":
                            if src[k] == "\n":
                                line, line_start = line + 1, k + 1
                            k += 1
                        j = k
                        continue
                    j += 2
                    continue
                j += 1
                if ch == c:
                    break
            toks.append(Token(STRING, src[i:j], i, j, tline, col))
            i = j
        elif c == "[" and _long_bracket(src, i) >= 0:
            j = skip_long(i, _long_bracket(src, i), "string")
            toks.append(Token(STRING, src[i:j], i, j, tline, col))
            i = j
        else:
            for sym in _BY_FIRST.get(c, ()):
                if src.startswith(sym, i):
                    toks.append(Token(SYMBOL, sym, i, i + len(sym), tline, col))
                    i += len(sym)
                    break
            else:
                fail(f"unexpected symbol near '{c}'", i, tline, line_start)
