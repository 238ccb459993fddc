"""Shell arithmetic: ``$(( ))``, ``(( ))``, ``let``, array subscripts.

A Pratt parser over bash's C-like operators (assignment operators, ``?:``, ``**``,
pre/post increment, hex/octal/``base#n`` constants) with 64-bit wrap-around, and
bash's error wording (``division by 0 (error token is "0")``).

>>> evaluate("1 + 2 * 3", lambda n, i: None, lambda n, i, v: None)
7
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .errors import ExpansionError

__all__ = ["ArithError", "evaluate", "parse_arith", "parse_int"]

Node = tuple  # ('num', v) | ('var', name, index_text) | ('un', op, x) | ...
Lookup = Callable[[str, str | None], str | None]
Assign = Callable[[str, str | None, int], None]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>0[xX][0-9a-fA-F]*|[0-9]+#[0-9a-zA-Z@_]+|[0-9][0-9a-zA-Z_]*)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op><<=|>>=|\*\*=?|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&^|]=|[-+*/%<>=!~&^|?:,()\[\]]))"
)
_ASSIGN_OPS = frozenset("= *= /= %= += -= <<= >>= &= ^= |=".split())
_BINARY_PREC = {
    "||": 4, "&&": 5, "|": 6, "^": 7, "&": 8, "==": 9, "!=": 9,
    "<": 10, ">": 10, "<=": 10, ">=": 10, "<<": 11, ">>": 11,
    "+": 12, "-": 12, "*": 13, "/": 13, "%": 13, "**": 14,
}  # fmt: skip
_MASK = (1 << 64) - 1
_cache: dict[str, Node] = {}


class ArithError(ExpansionError):
    """An arithmetic error, worded as bash words it."""


def _wrap(v: int) -> int:
    v &= _MASK
    return v - (1 << 64) if v >> 63 else v


def parse_int(text: str) -> int:
    """A constant: decimal, ``0x`` hex, leading-zero octal, ``base#digits``."""
    t = text
    if t.startswith(("0x", "0X")):
        if len(t) == 2:
            raise ValueError(t)
        return _wrap(int(t[2:], 16))
    if "#" in t:
        base_s, digits = t.split("#", 1)
        base = int(base_s)
        if not 2 <= base <= 64:
            raise ValueError("invalid arithmetic base")
        value = 0
        for ch in digits:
            if ch.isdigit():
                d = int(ch)
            elif ch.islower():
                d = ord(ch) - 87
            elif ch.isupper():
                d = ord(ch) - 29 if base > 36 else ord(ch) - 55
            elif ch == "@":
                d = 62
            else:
                d = 63
            if d >= base:
                raise ValueError("value too great for base")
            value = value * base + d
        return _wrap(value)
    if len(t) > 1 and t.startswith("0"):
        return _wrap(int(t, 8))
    return _wrap(int(t, 10))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks: list[tuple[str, str]] = []
        pos = 0
        n = len(text)
        while True:
            while pos < n and text[pos] in " \t\n":
                pos += 1
            if pos >= n:
                break
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ArithError(
                    f"{text.strip()}: syntax error: invalid arithmetic operator "
                    f'(error token is "{text[pos:].strip()}")'
                )
            kind = m.lastgroup or "op"
            value = m.group(kind)
            if kind == "name" and m.end() < n and text[m.end()] == "[":
                depth, k = 0, m.end()
                while k < n:
                    if text[k] == "[":
                        depth += 1
                    elif text[k] == "]":
                        depth -= 1
                        if depth == 0:
                            break
                    k += 1
                self.toks.append(("name", value))
                self.toks.append(("index", text[m.end() + 1 : k]))
                pos = k + 1
                continue
            self.toks.append((kind, value))
            pos = m.end()
        self.i = 0

    def err(self, what: str = "syntax error in expression") -> ArithError:
        rest = " ".join(v for _, v in self.toks[self.i :])
        if what.startswith("syntax error: operand expected") and not rest:
            rest = ""
        return ArithError(f'{self.text.strip()}: {what} (error token is "{rest}")')

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i] if self.i < len(self.toks) else ("end", "")

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.toks:
            return ("num", 0)
        node = self.comma()
        if self.i < len(self.toks):
            raise self.err()
        return node

    def comma(self) -> Node:
        node = self.assign()
        while self.peek() == ("op", ","):
            self.take()
            node = ("comma", node, self.assign())
        return node

    def assign(self) -> Node:
        start = self.i
        left = self.ternary()
        kind, value = self.peek()
        if kind == "op" and value in _ASSIGN_OPS:
            if left[0] != "var":
                self.i = start
                raise self.err("attempted assignment to non-variable")
            self.take()
            return ("assign", value, left, self.assign())
        return left

    def ternary(self) -> Node:
        cond = self.binary(4)
        if self.peek() == ("op", "?"):
            self.take()
            a = self.assign()
            if self.take() != ("op", ":"):
                self.i -= 1
                raise self.err("expected `:'")
            b = self.assign()
            return ("cond", cond, a, b)
        return cond

    def binary(self, min_prec: int) -> Node:
        left = self.unary()
        while True:
            kind, op = self.peek()
            prec = _BINARY_PREC.get(op) if kind == "op" else None
            if prec is None or prec < min_prec:
                return left
            self.take()
            if op == "**":
                right = self.binary(prec)  # right associative
            else:
                right = self.binary(prec + 1)
            if op == "&&":
                left = ("and", left, right)
            elif op == "||":
                left = ("or", left, right)
            else:
                left = ("bin", op, left, right)

    def unary(self) -> Node:
        kind, value = self.peek()
        if kind == "op":
            if value in ("++", "--"):
                self.take()
                operand = self.unary()
                if operand[0] != "var":
                    raise self.err("syntax error: operand expected")
                return ("pre", value, operand)
            if value in ("!", "~", "-", "+"):
                self.take()
                return ("un", value, self.unary())
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        kind, value = self.peek()
        if kind == "op" and value in ("++", "--") and node[0] == "var":
            self.take()
            return ("post", value, node)
        return node

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            try:
                return ("num", parse_int(value))
            except ValueError as exc:
                self.i -= 1
                msg = str(exc) if "base" in str(exc) else "value too great for base"
                if not value[:1].isdigit() or value.isdigit() or "#" in value:
                    raise self.err(msg) from None
                raise self.err("value too great for base") from None
        if kind == "name":
            if self.peek()[0] == "index":
                return ("var", value, self.take()[1])
            return ("var", value, None)
        if (kind, value) == ("op", "("):
            node = self.comma()
            if self.take() != ("op", ")"):
                self.i -= 1
                raise self.err("missing `)'")
            return node
        self.i -= 1
        raise self.err("syntax error: operand expected")


def parse_arith(text: str) -> Node:
    """Parse ``text`` (cached: loops evaluate the same expression many times)."""
    node = _cache.get(text)
    if node is None:
        node = _Parser(text).parse()
        if len(_cache) > 2000:
            _cache.clear()
        _cache[text] = node
    return node


class _Eval:
    def __init__(self, lookup: Lookup, assign: Assign, text: str) -> None:
        self.lookup = lookup
        self.store = assign
        self.text = text
        self.depth = 0

    def value_of(self, name: str, index: str | None) -> int:
        raw = self.lookup(name, index)
        if raw is None or raw == "":
            return 0
        raw = raw.strip()
        try:
            return parse_int(raw)
        except ValueError:
            pass
        if self.depth > 64:
            raise ArithError(f"{raw}: expression recursion level exceeded")
        self.depth += 1
        try:
            return self.ev(parse_arith(raw))
        finally:
            self.depth -= 1

    def ev(self, node: Node) -> int:
        tag = node[0]
        if tag == "num":
            return node[1]
        if tag == "var":
            return self.value_of(node[1], node[2])
        if tag == "bin":
            op = node[1]
            a = self.ev(node[2])
            b = self.ev(node[3])
            return _binop(op, a, b, self.text)
        if tag == "un":
            v = self.ev(node[2])
            op = node[1]
            if op == "-":
                return _wrap(-v)
            if op == "+":
                return v
            if op == "!":
                return int(not v)
            return _wrap(~v)
        if tag == "and":
            return int(bool(self.ev(node[1])) and bool(self.ev(node[2])))
        if tag == "or":
            return int(bool(self.ev(node[1])) or bool(self.ev(node[2])))
        if tag == "cond":
            return self.ev(node[2]) if self.ev(node[1]) else self.ev(node[3])
        if tag == "comma":
            self.ev(node[1])
            return self.ev(node[2])
        if tag == "assign":
            op, target, expr = node[1], node[2], node[3]
            v = self.ev(expr)
            if op != "=":
                v = _binop(op[:-1], self.value_of(target[1], target[2]), v, self.text)
            self.store(target[1], target[2], v)
            return v
        if tag in ("pre", "post"):
            target = node[2]
            old = self.value_of(target[1], target[2])
            new = _wrap(old + 1 if node[1] == "++" else old - 1)
            self.store(target[1], target[2], new)
            return new if tag == "pre" else old
        raise ArithError(f"{self.text}: syntax error in expression")


def _binop(op: str, a: int, b: int, text: str) -> int:
    if op == "+":
        return _wrap(a + b)
    if op == "-":
        return _wrap(a - b)
    if op == "*":
        return _wrap(a * b)
    if op in ("/", "%"):
        if b == 0:
            raise ArithError(f'{text.strip()}: division by 0 (error token is "{_last(text)}")')
        q = abs(a) // abs(b)
        if (a < 0) != (b < 0):
            q = -q
        return _wrap(q) if op == "/" else _wrap(a - q * b)
    if op == "**":
        if b < 0:
            raise ArithError(
                f'{text.strip()}: exponent less than 0 (error token is "{_last(text)}")'
            )
        return _wrap(pow(a, b, 1 << 64))
    if op == "<<":
        return _wrap(a << (b & 63))
    if op == ">>":
        return a >> (b & 63)
    if op == "&":
        return a & b
    if op == "|":
        return a | b
    if op == "^":
        return a ^ b
    if op == "==":
        return int(a == b)
    if op == "!=":
        return int(a != b)
    if op == "<":
        return int(a < b)
    if op == ">":
        return int(a > b)
    if op == "<=":
        return int(a <= b)
    if op == ">=":
        return int(a >= b)
    raise ArithError(f"{text}: syntax error in expression")


def _last(text: str) -> str:
    m = re.search(r"[A-Za-z0-9_]+\s*$", text)
    return m.group().strip() if m else ""


def evaluate(text: str, lookup: Lookup, assign: Assign) -> int:
    """Evaluate ``text`` (already expanded) with variables read by ``lookup(name, index)``
    and written by ``assign(name, index, value)``."""
    node = parse_arith(text)
    return _Eval(lookup, assign, text).ev(node)
