"""Tokens of the awk language (POSIX awk grammar, lexical conventions).

Newlines are tokens (they end statements); a backslash-newline and ``#`` comments are
skipped. Whether ``/`` starts a regular expression or divides is decided from the
previous token, the way the POSIX grammar's lexical tie-in does it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import AwkSyntaxError

__all__ = ["BUILTINS", "KEYWORDS", "Token", "tokenize", "unescape"]

KEYWORDS = frozenset(
    {
        "BEGIN",
        "END",
        "function",
        "func",
        "if",
        "else",
        "while",
        "for",
        "do",
        "break",
        "continue",
        "next",
        "nextfile",
        "exit",
        "return",
        "delete",
        "in",
        "getline",
        "print",
        "printf",
    }
)

BUILTINS = frozenset(
    {
        "length",
        "substr",
        "index",
        "split",
        "sub",
        "gsub",
        "match",
        "sprintf",
        "sin",
        "cos",
        "atan2",
        "exp",
        "log",
        "sqrt",
        "int",
        "rand",
        "srand",
        "tolower",
        "toupper",
        "system",
        "close",
        "fflush",
    }
)

# Longest first, so that ``**=`` style prefixes resolve correctly.
_PUNCT = (
    "+=",
    "-=",
    "*=",
    "/=",
    "%=",
    "^=",
    "||",
    "&&",
    "==",
    "<=",
    ">=",
    "!=",
    "!~",
    "++",
    "--",
    ">>",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ";",
    ",",
    "+",
    "-",
    "*",
    "%",
    "^",
    "!",
    ">",
    "<",
    "|",
    "?",
    ":",
    "~",
    "$",
    "=",
    "/",
)

#: After these tokens a ``/`` divides; anywhere else it opens a regular expression.
_OPERAND_END = frozenset({"NAME", "NUMBER", "STRING", "ERE", "FUNC_NAME", "BUILTIN"})
_OPERAND_END_PUNCT = frozenset({")", "]", "$", "++", "--"})

_ESCAPES = {
    '"': '"',
    "/": "/",
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is NAME, NUMBER, STRING, ERE, FUNC_NAME, BUILTIN, NEWLINE,
    EOF, a keyword or the punctuation itself; ``value`` its text (decoded for strings)."""

    kind: str
    value: str
    line: int


def unescape(text: str) -> str:
    """Process the escape sequences of an awk string (``-v`` values, string literals)."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        d = text[i + 1]
        if d in _ESCAPES:
            out.append(_ESCAPES[d])
            i += 2
        elif d in "01234567":
            j = i + 1
            while j < n and j < i + 4 and text[j] in "01234567":
                j += 1
            out.append(chr(int(text[i + 1 : j], 8) & 0xFF))
            i = j
        else:
            out.append("\\" + d)
            i += 2
    return "".join(out)


def _number(src: str, i: int) -> int:
    """End of the numeric literal starting at ``src[i]``."""
    n = len(src)
    j = i
    while j < n and src[j].isdigit():
        j += 1
    if j < n and src[j] == ".":
        j += 1
        while j < n and src[j].isdigit():
            j += 1
    if j < n and src[j] in "eE":
        k = j + 1
        if k < n and src[k] in "+-":
            k += 1
        if k < n and src[k].isdigit():
            while k < n and src[k].isdigit():
                k += 1
            j = k
    return j


def tokenize(src: str) -> list[Token]:
    """The tokens of ``src``, ending with an EOF token; raises :class:`AwkSyntaxError`."""
    toks: list[Token] = []
    i = 0
    n = len(src)
    line = 1

    def prev_is_operand() -> bool:
        if not toks:
            return False
        k = toks[-1].kind
        return k in _OPERAND_END or k in _OPERAND_END_PUNCT

    while i < n:
        c = src[i]
        if c in " \t\r\f\v":
            i += 1
            continue
        if c == "\\" and src.startswith("\n", i + 1):
            i += 2
            line += 1
            continue
        if c == "\\" and src.startswith("\r\n", i + 1):
            i += 3
            line += 1
            continue
        if c == "#":
            while i < n and src[i] != "\n":
                i += 1
            continue
        if c == "\n":
            toks.append(Token("NEWLINE", "\n", line))
            line += 1
            i += 1
            continue
        if c.isdigit() or (c == "." and i + 1 < n and src[i + 1].isdigit()):
            j = _number(src, i)
            toks.append(Token("NUMBER", src[i:j], line))
            i = j
            continue
        if c.isalpha() or c == "_":
            j = i + 1
            while j < n and (src[j].isalnum() or src[j] == "_"):
                j += 1
            word = src[i:j]
            i = j
            if word in KEYWORDS:
                toks.append(Token("function" if word == "func" else word, word, line))
            elif word in BUILTINS:
                toks.append(Token("BUILTIN", word, line))
            elif i < n and src[i] == "(":
                toks.append(Token("FUNC_NAME", word, line))
            else:
                toks.append(Token("NAME", word, line))
            continue
        if c == '"':
            j = i + 1
            buf: list[str] = []
            while True:
                if j >= n or src[j] == "\n":
                    raise AwkSyntaxError(
                        line, "", 'runaway string constant "' + src[i + 1 : j][:10] + " ..."
                    )
                ch = src[j]
                if ch == '"':
                    break
                if ch == "\\" and j + 1 < n:
                    if src[j + 1] == "\n":
                        j += 2
                        line += 1
                        continue
                    buf.append(src[j : j + 2])
                    j += 2
                    continue
                buf.append(ch)
                j += 1
            toks.append(Token("STRING", unescape("".join(buf)), line))
            i = j + 1
            continue
        if c == "/" and not prev_is_operand():
            j = i + 1
            buf = []
            in_bracket = False
            while True:
                if j >= n or src[j] == "\n":
                    raise AwkSyntaxError(
                        line, "", "runaway regular expression /" + src[i + 1 : j][:10] + " ..."
                    )
                ch = src[j]
                if ch == "\\" and j + 1 < n:
                    if src[j + 1] == "/":
                        buf.append("/")
                    else:
                        buf.append(src[j : j + 2])
                    j += 2
                    continue
                if ch == "[" and not in_bracket:
                    in_bracket = True
                    buf.append(ch)
                    j += 1
                    if j < n and src[j] == "^":
                        buf.append("^")
                        j += 1
                    if j < n and src[j] == "]":
                        buf.append("]")
                        j += 1
                    continue
                if ch == "]" and in_bracket:
                    in_bracket = False
                elif ch == "/" and not in_bracket:
                    break
                buf.append(ch)
                j += 1
            toks.append(Token("ERE", "".join(buf), line))
            i = j + 1
            continue
        for p in _PUNCT:
            if src.startswith(p, i):
                toks.append(Token(p, p, line))
                i += len(p)
                break
        else:
            raise AwkSyntaxError(line, c)
    toks.append(Token("EOF", "end of file", line))
    return toks
