"""The syntax tree: words made of parts (quoting survives into the tree, as in Oils'
``syntax.asdl``), and commands.

A :class:`Word` keeps every part with its quoting, so that field splitting, globbing
and pattern matching know which characters were quoted. ``Word.static`` caches the
final text of a word that needs no expansion at all (the common case), which is the
interpreter's fast path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
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


@dataclass(slots=True)
class Lit:
    """Unquoted literal text (glob characters in it are active)."""

    text: str


@dataclass(slots=True)
class Escaped:
    """A backslash-escaped character outside quotes: ``\\*``."""

    text: str


@dataclass(slots=True)
class SQ:
    """``'...'`` or ``$'...'`` (already decoded)."""

    text: str


@dataclass(slots=True)
class DQ:
    """``"..."``: its parts are expanded but not split or globbed."""

    parts: list[Part]


@dataclass(slots=True)
class Param:
    """``$x``, ``${x}``, ``${x:-word}``, ``${#x}``, ``${a[i]}``, ``${!x}``...

    ``op`` is the operator (``:-``, ``#``, ``//``, ``:`` for substrings...), ``arg`` and
    ``arg2`` its operands (``arg2`` is the replacement of ``/`` or the length of ``:``).
    ``index`` is the subscript text (``@``, ``*`` or an expression/key word).
    """

    name: str
    op: str = ""
    arg: Word | None = None
    arg2: Word | None = None
    index: Word | None = None
    length: bool = False
    indirect: bool = False
    braced: bool = False


@dataclass(slots=True)
class CmdSub:
    """``$(...)`` or backticks; ``body`` is None for ``$( )``. ``file`` is the word of
    ``$(< file)``."""

    body: Command | None
    file: Word | None = None


@dataclass(slots=True)
class ArithSub:
    """``$((expr))``: ``expr`` is expanded first, then evaluated."""

    expr: Word


@dataclass(slots=True)
class Tilde:
    """``~`` or ``~user`` at the start of a word (or after ``:`` in assignments)."""

    user: str


Part = Lit | Escaped | SQ | DQ | Param | CmdSub | ArithSub | Tilde


@dataclass(slots=True)
class Word:
    """One shell word; ``static`` is its text when it needs no expansion."""

    parts: list[Part]
    static: str | None = None
    raw: str = ""

    def __post_init__(self) -> None:
        self.static = _static_text(self.parts)


def _static_text(parts: list[Part]) -> str | None:
    out: list[str] = []
    quoted = False
    for p in parts:
        t = type(p)
        if t is Lit:
            if GLOB_CHARS.intersection(p.text):  # type: ignore[union-attr]
                return None
            out.append(p.text)  # type: ignore[union-attr]
        elif t is Escaped or t is SQ:
            out.append(p.text)  # type: ignore[union-attr]
            quoted = True
        elif t is DQ:
            for q in p.parts:  # type: ignore[union-attr]
                if type(q) is not Lit:
                    return None
                out.append(q.text)  # type: ignore[union-attr]
            quoted = True
        else:
            return None
    if not out and not quoted:
        return None
    return "".join(out)


@dataclass(slots=True)
class Redir:
    """A redirection: ``fd`` (None: the operator's default), ``op`` (``>``, ``>>``, ``<``,
    ``<>``, ``>|``, ``>&``, ``<&``, ``&>``, ``&>>``, ``<<``, ``<<-``, ``<<<``) and its target."""

    fd: int | None
    op: str
    target: Word | None = None
    heredoc: HereDoc | None = None


@dataclass(slots=True)
class HereDoc:
    """A here-document body, filled in when the lexer reaches the next newline."""

    delim: str
    quoted: bool
    strip_tabs: bool
    body: Word | None = None
    line: int = 0


@dataclass(slots=True)
class Assign:
    """``name=value``, ``name+=value``, ``name[i]=value`` or ``name=(a b [k]=v)``."""

    name: str
    op: str
    value: Word | None
    index: Word | None = None
    array: list[tuple[Word | None, Word]] | None = None
    raw: str = ""


@dataclass(slots=True)
class Simple:
    """A simple command: assignments, words, redirections."""

    assigns: list[Assign]
    words: list[Word]
    redirs: list[Redir]
    line: int = 0
    #: Words that are declaration assignments (``declare a=(1 2)``), by position.
    decl: dict[int, Assign] | None = None


@dataclass(slots=True)
class Pipeline:
    """``[!] cmd | cmd ...`` (``|&`` pipes stderr too)."""

    cmds: list[Command]
    negate: bool = False
    stderr_too: list[bool] = field(default_factory=list)
    line: int = 0


@dataclass(slots=True)
class AndOr:
    """``p1 && p2 || p3``."""

    first: Command
    rest: list[tuple[str, Command]]


@dataclass(slots=True)
class Seq:
    """A list of commands separated by ``;``, ``&`` or newlines."""

    items: list[Command]


@dataclass(slots=True)
class BraceGroup:
    body: Seq
    redirs: list[Redir] = field(default_factory=list)


@dataclass(slots=True)
class Subshell:
    body: Seq
    redirs: list[Redir] = field(default_factory=list)


@dataclass(slots=True)
class If:
    arms: list[tuple[Seq, Seq]]
    orelse: Seq | None
    redirs: list[Redir] = field(default_factory=list)


@dataclass(slots=True)
class For:
    var: str
    words: list[Word] | None
    body: Seq
    redirs: list[Redir] = field(default_factory=list)
    line: int = 0


@dataclass(slots=True)
class ArithFor:
    init: Word | None
    cond: Word | None
    step: Word | None
    body: Seq
    redirs: list[Redir] = field(default_factory=list)
    line: int = 0


@dataclass(slots=True)
class While:
    cond: Seq
    body: Seq
    until: bool = False
    redirs: list[Redir] = field(default_factory=list)


@dataclass(slots=True)
class CaseArm:
    patterns: list[Word]
    body: Seq | None
    term: str = ";;"


@dataclass(slots=True)
class Case:
    word: Word
    arms: list[CaseArm]
    redirs: list[Redir] = field(default_factory=list)
    line: int = 0


@dataclass(slots=True)
class FuncDef:
    name: str
    body: Command
    source: str = ""
    line: int = 0


@dataclass(slots=True)
class CondWord:
    word: Word


@dataclass(slots=True)
class CondUnary:
    op: str
    word: Word


@dataclass(slots=True)
class CondBinary:
    op: str
    left: Word
    right: Word


@dataclass(slots=True)
class CondNot:
    expr: CondExpr


@dataclass(slots=True)
class CondAnd:
    left: CondExpr
    right: CondExpr


@dataclass(slots=True)
class CondOr:
    left: CondExpr
    right: CondExpr


CondExpr = CondWord | CondUnary | CondBinary | CondNot | CondAnd | CondOr


@dataclass(slots=True)
class DBracket:
    """``[[ expr ]]``."""

    expr: CondExpr
    redirs: list[Redir] = field(default_factory=list)
    line: int = 0


@dataclass(slots=True)
class ArithCmd:
    """``(( expr ))``."""

    expr: Word
    redirs: list[Redir] = field(default_factory=list)
    line: int = 0


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
