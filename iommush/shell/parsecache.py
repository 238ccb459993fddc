"""A cache of parsed one-line commands.

A loop body is parsed once, but a generated script or a long session says the same
line again and again (``echo DMA > /sys/.../type``). Parsing is a pure function of
the text (aliases are not expanded at parse time) and the interpreter never changes a
tree, so a line's tree can be shared: only its line number differs, and
:func:`at_line` gives a copy carrying the new one.

Only simple commands, pipelines and ``&&``/``||``/``;`` lists of them are kept, and
none with ``$(...)`` or a here-document (their trees hold line numbers of their own
or reach past the line). A tree is kept the second time its line is parsed: a tree
kept for a line that never comes again would only weigh on the garbage collector,
while its text (an untracked string) does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .ast import DQ, AndOr, ArithSub, CmdSub, Command, Param, Part, Pipeline, Seq, Simple, Word

if TYPE_CHECKING:
    from .parser import Parser

__all__ = ["MAX_LINES", "LineCache", "at_line"]

#: Lines kept before the cache starts afresh.
MAX_LINES = 4096

_lines: dict[str, Command] = {}
_seen: set[str] = set()


class LineCache:
    """``parse_next`` of ``parser`` with the cache in front of it. Blank and comment
    lines are skipped here, so that the line after one is looked up too."""

    def __init__(self, parser: Parser) -> None:
        self.parser = parser

    def parse_next(self) -> Command | None:
        """The next complete command, as :meth:`Parser.parse_next` gives it."""
        parser = self.parser
        lx = parser.lx
        src = lx.src
        while parser.idle():
            pos = lx.pos
            nl = src.find("\n", pos)
            if nl < 0:
                break
            text = src[pos:nl]
            if not text or text[0] in " \t#":
                rest = text.lstrip(" \t")
                if not rest or rest[0] == "#":
                    lx.pos = nl + 1
                    lx.line += 1
                    continue
            line = lx.line
            node = _lines.get(text)
            if node is not None:
                lx.pos = nl + 1
                lx.line = line + 1
                return at_line(node, line)
            node = parser.parse_next()
            if text not in _seen:
                if len(_seen) >= MAX_LINES:
                    _seen.clear()
                _seen.add(text)
            elif (
                node is not None
                and lx.pos == nl + 1
                and lx.line == line + 1
                and parser.idle()
                and _shareable(node)
            ):
                if len(_lines) >= MAX_LINES:
                    _lines.clear()
                _lines[text] = node
            return node
        return parser.parse_next()


def _shareable(node: Command) -> bool:
    """Simple commands and lists of them with no ``$(...)`` and no here-document."""
    if isinstance(node, Simple):
        if any(r.heredoc is not None or not _plain(r.target) for r in node.redirs):
            return False
        for a in node.assigns:
            if not (_plain(a.value) and _plain(a.index)):
                return False
            if a.array is not None and not all(_plain(k) and _plain(v) for k, v in a.array):
                return False
        return all(_plain(w) for w in node.words)
    if isinstance(node, Pipeline):
        return all(_shareable(c) for c in node.cmds)
    if isinstance(node, AndOr):
        return _shareable(node.first) and all(_shareable(c) for _, c in node.rest)
    if isinstance(node, Seq):
        return all(_shareable(c) for c in node.items)
    return False


def _plain(word: Word | None) -> bool:
    """True if ``word`` holds no command substitution (whose tree has line numbers)."""
    if word is None or word.static is not None:
        return True
    return all(_plain_part(p) for p in word.parts)


def _plain_part(part: Part) -> bool:
    if isinstance(part, CmdSub):
        return False
    if isinstance(part, DQ):
        return all(_plain_part(p) for p in part.parts)
    if isinstance(part, Param):
        return _plain(part.arg) and _plain(part.arg2) and _plain(part.index)
    if isinstance(part, ArithSub):
        return _plain(part.expr)
    return True


def at_line(node: Command, lineno: int) -> Command:
    """``node`` with every line number set to ``lineno`` (itself if already so)."""
    if isinstance(node, Simple):
        if node.line == lineno:
            return node
        return Simple(node.assigns, node.words, node.redirs, lineno, node.decl)
    if isinstance(node, Pipeline):
        if node.line == lineno and all(_line_of(c) == lineno for c in node.cmds):
            return node
        cmds = [at_line(c, lineno) for c in node.cmds]
        return Pipeline(cmds, node.negate, node.stderr_too, lineno)
    if isinstance(node, AndOr):
        return AndOr(at_line(node.first, lineno), [(op, at_line(c, lineno)) for op, c in node.rest])
    if isinstance(node, Seq):
        return Seq([at_line(c, lineno) for c in node.items])
    return node


def _line_of(node: Command) -> int | None:
    return node.line if isinstance(node, (Simple, Pipeline)) else None
