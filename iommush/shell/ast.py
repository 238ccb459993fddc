"""The syntax tree: words made of parts (quoting survives into the tree, as in Oils'
``syntax.asdl``), and commands.

A :class:`Word` keeps every part with its quoting, so that field splitting, globbing
and pattern matching know which characters were quoted. ``Word.static`` caches the
final text of a word that needs no expansion at all (the common case), which is the
interpreter's fast path.

The nodes are plain classes with ``__slots__``: many thousands are built while parsing
a script, and a plain class costs nothing at import (a dataclass with slots is built
twice by the decorator).
"""

from __future__ import annotations

__all__ = [
    "Node",
    "AndOr",
    "ArithCmd",
    "ArithFor",
    "ArithSub",
    "Assign",
    "BraceGroup",
    "Case",
    "CaseArm",
    "CmdSub",
    "Command",
    "CondAnd",
    "CondBinary",
    "CondExpr",
    "CondNot",
    "CondOr",
    "CondUnary",
    "CondWord",
    "DBracket",
    "DQ",
    "Escaped",
    "For",
    "FuncDef",
    "HereDoc",
    "If",
    "Lit",
    "Param",
    "Part",
    "Pipeline",
    "Redir",
    "SQ",
    "Seq",
    "Simple",
    "Subshell",
    "Tilde",
    "While",
    "Word",
]

GLOB_CHARS = frozenset("*?[")


class Node:
    """Base of every syntax tree node: a readable ``repr`` (nodes compare by identity)."""

    __slots__: tuple[str, ...] = ()

    def __repr__(self) -> str:
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({args})"


class Lit(Node):
    """Unquoted literal text (glob characters in it are active)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class Escaped(Node):
    """A backslash-escaped character outside quotes: ``\\*``."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class SQ(Node):
    """``'...'`` or ``$'...'`` (already decoded)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class DQ(Node):
    """``"..."``: its parts are expanded but not split or globbed."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[Part]) -> None:
        self.parts = parts


class Param(Node):
    """``$x``, ``${x}``, ``${x:-word}``, ``${#x}``, ``${a[i]}``, ``${!x}``...

    ``op`` is the operator (``:-``, ``#``, ``//``, ``:`` for substrings...), ``arg`` and
    ``arg2`` its operands (``arg2`` is the replacement of ``/`` or the length of ``:``).
    ``index`` is the subscript text (``@``, ``*`` or an expression/key word).
    """

    __slots__ = ("name", "op", "arg", "arg2", "index", "length", "indirect", "braced")

    def __init__(
        self,
        name: str,
        op: str = "",
        arg: Word | None = None,
        arg2: Word | None = None,
        index: Word | None = None,
        length: bool = False,
        indirect: bool = False,
        braced: bool = False,
    ) -> None:
        self.name = name
        self.op = op
        self.arg = arg
        self.arg2 = arg2
        self.index = index
        self.length = length
        self.indirect = indirect
        self.braced = braced


class CmdSub(Node):
    """``$(...)`` or backticks; ``body`` is None for ``$( )``. ``file`` is the word of
    ``$(< file)``."""

    __slots__ = ("body", "file")

    def __init__(self, body: Command | None, file: Word | None = None) -> None:
        self.body = body
        self.file = file


class ArithSub(Node):
    """``$((expr))``: ``expr`` is expanded first, then evaluated."""

    __slots__ = ("expr",)

    def __init__(self, expr: Word) -> None:
        self.expr = expr


class Tilde(Node):
    """``~`` or ``~user`` at the start of a word (or after ``:`` in assignments)."""

    __slots__ = ("user",)

    def __init__(self, user: str) -> None:
        self.user = user


Part = Lit | Escaped | SQ | DQ | Param | CmdSub | ArithSub | Tilde


class Word(Node):
    """One shell word; ``static`` is its text when it needs no expansion at all.

    ``braces`` is True while the word may hold a brace expansion (``{a,b}``,
    ``{1..3}``): :meth:`brace_words` then gives the words it expands to, or
    ``[self]`` (and clears the flag, restoring ``static``) when it holds none. Only a
    word read from the source (``raw`` given) is looked at for braces.
    """

    __slots__ = ("parts", "static", "raw", "braces", "_alts")

    def __init__(self, parts: list[Part], raw: str = "", *, braces: bool = True) -> None:
        self.parts = parts
        self.raw = raw
        self._alts: list[Word] | None = None
        if braces and "{" in raw and _may_have_braces(parts):
            self.braces = True
            self.static = None
        else:
            self.braces = False
            self.static = _static_text(parts)

    @classmethod
    def literal(cls, text: str) -> Word:
        """The word made of one unquoted literal ``text`` (the lexer's fast path)."""
        w = cls.__new__(cls)
        w.parts = [Lit(text)]
        w.raw = text
        w._alts = None
        k = text.find("{")
        w.braces = k >= 0 and text.find("}", k) > 0
        w.static = None if w.braces or not GLOB_CHARS.isdisjoint(text) else text
        return w

    def brace_words(self) -> list[Word]:
        """The words brace expansion makes of this one (bash's ``brace_expand``)."""
        alts = self._alts
        if alts is None:
            from .braces import brace_expand

            expanded = brace_expand(self.parts)
            if expanded is None:
                self.braces = False
                self.static = _static_text(self.parts)
                alts = [self]
            else:
                alts = [Word(parts, self.raw, braces=False) for parts in expanded]
            self._alts = alts
        return alts


def _may_have_braces(parts: list[Part]) -> bool:
    """True if unquoted ``{`` and ``}`` both occur (brace expansion may apply)."""
    opened = False
    for p in parts:
        if type(p) is Lit:
            text = p.text
            if opened:
                if "}" in text:
                    return True
            else:
                k = text.find("{")
                if k >= 0:
                    if "}" in text[k:]:
                        return True
                    opened = True
    return False


def _static_text(parts: list[Part]) -> str | None:
    out: list[str] = []
    quoted = False
    for p in parts:
        if isinstance(p, Lit):
            if GLOB_CHARS.intersection(p.text):
                return None
            out.append(p.text)
        elif isinstance(p, (Escaped, SQ)):
            out.append(p.text)
            quoted = True
        elif isinstance(p, DQ):
            for q in p.parts:
                if not isinstance(q, Lit):
                    return None
                out.append(q.text)
            quoted = True
        else:
            return None
    if not out and not quoted:
        return None
    return "".join(out)


class Redir(Node):
    """A redirection: ``fd`` (None: the operator's default), ``op`` (``>``, ``>>``, ``<``,
    ``<>``, ``>|``, ``>&``, ``<&``, ``&>``, ``&>>``, ``<<``, ``<<-``, ``<<<``) and its target."""

    __slots__ = ("fd", "op", "target", "heredoc")

    def __init__(
        self,
        fd: int | None,
        op: str,
        target: Word | None = None,
        heredoc: HereDoc | None = None,
    ) -> None:
        self.fd = fd
        self.op = op
        self.target = target
        self.heredoc = heredoc


class HereDoc(Node):
    """A here-document body, filled in when the lexer reaches the next newline."""

    __slots__ = ("delim", "quoted", "strip_tabs", "body", "line")

    def __init__(
        self, delim: str, quoted: bool, strip_tabs: bool, body: Word | None = None, line: int = 0
    ) -> None:
        self.delim = delim
        self.quoted = quoted
        self.strip_tabs = strip_tabs
        self.body = body
        self.line = line


class Assign(Node):
    """``name=value``, ``name+=value``, ``name[i]=value`` or ``name=(a b [k]=v)``."""

    __slots__ = ("name", "op", "value", "index", "array", "raw")

    def __init__(
        self,
        name: str,
        op: str,
        value: Word | None,
        index: Word | None = None,
        array: list[tuple[Word | None, Word]] | None = None,
        raw: str = "",
    ) -> None:
        self.name = name
        self.op = op
        self.value = value
        self.index = index
        self.array = array
        self.raw = raw


class Simple(Node):
    """A simple command: assignments, words, redirections. ``decl`` holds the words
    that are declaration assignments (``declare a=(1 2)``), by position."""

    __slots__ = ("assigns", "words", "redirs", "line", "decl")

    def __init__(
        self,
        assigns: list[Assign],
        words: list[Word],
        redirs: list[Redir],
        line: int = 0,
        decl: dict[int, Assign] | None = None,
    ) -> None:
        self.assigns = assigns
        self.words = words
        self.redirs = redirs
        self.line = line
        self.decl = decl


class Pipeline(Node):
    """``[!] cmd | cmd ...`` (``|&`` pipes stderr too)."""

    __slots__ = ("cmds", "negate", "stderr_too", "line")

    def __init__(
        self,
        cmds: list[Command],
        negate: bool = False,
        stderr_too: list[bool] | None = None,
        line: int = 0,
    ) -> None:
        self.cmds = cmds
        self.negate = negate
        self.stderr_too = [] if stderr_too is None else stderr_too
        self.line = line


class AndOr(Node):
    """``p1 && p2 || p3``."""

    __slots__ = ("first", "rest")

    def __init__(self, first: Command, rest: list[tuple[str, Command]]) -> None:
        self.first = first
        self.rest = rest


class Seq(Node):
    """A list of commands separated by ``;``, ``&`` or newlines."""

    __slots__ = ("items",)

    def __init__(self, items: list[Command]) -> None:
        self.items = items


class BraceGroup(Node):
    """``{ list; }``."""

    __slots__ = ("body", "redirs")

    def __init__(self, body: Seq, redirs: list[Redir] | None = None) -> None:
        self.body = body
        self.redirs = [] if redirs is None else redirs


class Subshell(Node):
    """``( list )``."""

    __slots__ = ("body", "redirs")

    def __init__(self, body: Seq, redirs: list[Redir] | None = None) -> None:
        self.body = body
        self.redirs = [] if redirs is None else redirs


class If(Node):
    """``if c; then b; elif c; then b; else b; fi``: ``arms`` are (condition, body)."""

    __slots__ = ("arms", "orelse", "redirs")

    def __init__(
        self, arms: list[tuple[Seq, Seq]], orelse: Seq | None, redirs: list[Redir] | None = None
    ) -> None:
        self.arms = arms
        self.orelse = orelse
        self.redirs = [] if redirs is None else redirs


class For(Node):
    """``for var [in words]; do body; done`` (``words`` None: ``"$@"``)."""

    __slots__ = ("var", "words", "body", "redirs", "line")

    def __init__(
        self,
        var: str,
        words: list[Word] | None,
        body: Seq,
        redirs: list[Redir] | None = None,
        line: int = 0,
    ) -> None:
        self.var = var
        self.words = words
        self.body = body
        self.redirs = [] if redirs is None else redirs
        self.line = line


class ArithFor(Node):
    """``for ((init; cond; step)); do body; done``."""

    __slots__ = ("init", "cond", "step", "body", "redirs", "line")

    def __init__(
        self,
        init: Word | None,
        cond: Word | None,
        step: Word | None,
        body: Seq,
        redirs: list[Redir] | None = None,
        line: int = 0,
    ) -> None:
        self.init = init
        self.cond = cond
        self.step = step
        self.body = body
        self.redirs = [] if redirs is None else redirs
        self.line = line


class While(Node):
    """``while cond; do body; done`` (``until`` with ``until=True``)."""

    __slots__ = ("cond", "body", "until", "redirs")

    def __init__(
        self, cond: Seq, body: Seq, until: bool = False, redirs: list[Redir] | None = None
    ) -> None:
        self.cond = cond
        self.body = body
        self.until = until
        self.redirs = [] if redirs is None else redirs


class CaseArm(Node):
    """``pat|pat) body ;;`` (``term`` is ``;;``, ``;&`` or ``;;&``)."""

    __slots__ = ("patterns", "body", "term")

    def __init__(self, patterns: list[Word], body: Seq | None, term: str = ";;") -> None:
        self.patterns = patterns
        self.body = body
        self.term = term


class Case(Node):
    """``case word in arms esac``."""

    __slots__ = ("word", "arms", "redirs", "line")

    def __init__(
        self, word: Word, arms: list[CaseArm], redirs: list[Redir] | None = None, line: int = 0
    ) -> None:
        self.word = word
        self.arms = arms
        self.redirs = [] if redirs is None else redirs
        self.line = line


class FuncDef(Node):
    """``name() body`` or ``function name body``; ``source`` is its text (``type f``)."""

    __slots__ = ("name", "body", "source", "line")

    def __init__(self, name: str, body: Command, source: str = "", line: int = 0) -> None:
        self.name = name
        self.body = body
        self.source = source
        self.line = line


class CondWord(Node):
    """A lone word in ``[[ ]]``: true when not empty."""

    __slots__ = ("word",)

    def __init__(self, word: Word) -> None:
        self.word = word


class CondUnary(Node):
    """``-f word`` and the other unary tests of ``[[ ]]``."""

    __slots__ = ("op", "word")

    def __init__(self, op: str, word: Word) -> None:
        self.op = op
        self.word = word


class CondBinary(Node):
    """``left OP right`` in ``[[ ]]``."""

    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Word, right: Word) -> None:
        self.op = op
        self.left = left
        self.right = right


class CondNot(Node):
    """``! expr`` in ``[[ ]]``."""

    __slots__ = ("expr",)

    def __init__(self, expr: CondExpr) -> None:
        self.expr = expr


class CondAnd(Node):
    """``left && right`` in ``[[ ]]``."""

    __slots__ = ("left", "right")

    def __init__(self, left: CondExpr, right: CondExpr) -> None:
        self.left = left
        self.right = right


class CondOr(Node):
    """``left || right`` in ``[[ ]]``."""

    __slots__ = ("left", "right")

    def __init__(self, left: CondExpr, right: CondExpr) -> None:
        self.left = left
        self.right = right


CondExpr = CondWord | CondUnary | CondBinary | CondNot | CondAnd | CondOr


class DBracket(Node):
    """``[[ expr ]]``."""

    __slots__ = ("expr", "redirs", "line")

    def __init__(self, expr: CondExpr, redirs: list[Redir] | None = None, line: int = 0) -> None:
        self.expr = expr
        self.redirs = [] if redirs is None else redirs
        self.line = line


class ArithCmd(Node):
    """``(( expr ))``."""

    __slots__ = ("expr", "redirs", "line")

    def __init__(self, expr: Word, redirs: list[Redir] | None = None, line: int = 0) -> None:
        self.expr = expr
        self.redirs = [] if redirs is None else redirs
        self.line = line


Command = (
    Simple
    | Pipeline
    | AndOr
    | Seq
    | BraceGroup
    | Subshell
    | If
    | For
    | ArithFor
    | While
    | Case
    | FuncDef
    | DBracket
    | ArithCmd
)
