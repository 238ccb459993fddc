"""A small renderer for the man(7) macros the iommush pages use, without external programs.

It lays out text the way ``man`` does on a terminal: section headings at column 0,
body text indented by 7, tagged paragraphs (``.TP``/``.IP``) with the body beside
a short tag or below a long one, ``.RS``/``.RE`` nesting, no-fill examples, and the
font escapes ``\\fB`` ``\\fI`` ``\\fR`` ``\\fP``. Supported requests: ``.TH .SH .SS .PP
.LP .P .TP .IP .RS .RE .B .I .BR .RB .IR .RI .BI .IB .SM .SB .nf .fi .EX .EE .br .sp``;
unknown requests are ignored, as ``nroff`` ignores them.

>>> page = ".TH DEMO 1 2026-01-01 demo\\n.SH NAME\\ndemo \\\\- show \\\\fBbold\\\\fR text\\n"
>>> print(to_plain(render(page, width=40)).splitlines()[3])
       demo - show bold text
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Line", "Span", "inline", "render", "to_ansi", "to_plain"]

#: A piece of text in one font: ``R`` roman, ``B`` bold, ``I`` italic.
Span = tuple[str, str]
Line = list[Span]

BODY_INDENT = 7
SUBHEAD_INDENT = 3
_NBSP = "\u00a0"
_CHARS = {
    "em": "--",
    "en": "-",
    "hy": "-",
    "bu": "*",
    "aq": "'",
    "dq": '"',
    "lq": '"',
    "rq": '"',
    "oq": "'",
    "cq": "'",
    "co": "(C)",
    "rg": "(R)",
    "tm": "(TM)",
    "mu": "x",
    "<=": "<=",
    ">=": ">=",
    "->": "->",
    "<-": "<-",
    "ti": "~",
    "ha": "^",
    "rs": "\\",
}
_FONTS = {
    "B": "B",
    "I": "I",
    "R": "R",
    "P": "P",
    "1": "R",
    "2": "I",
    "3": "B",
    "CR": "R",
    "CW": "R",
}


def inline(text: str, font: str = "R") -> list[Span]:
    """``text`` with its escapes interpreted, as font spans."""
    spans: list[Span] = []
    buf: list[str] = []
    previous = font

    def emit() -> None:
        if buf:
            spans.append((font, "".join(buf)))
            buf.clear()

    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "\\" or i + 1 >= n:
            buf.append(c)
            i += 1
            continue
        e = text[i + 1]
        i += 2
        if e == "f":
            name = text[i : i + 1]
            if name == "(":
                name, i = text[i + 1 : i + 3], i + 3
            elif name == "[":
                end = text.find("]", i)
                name, i = text[i + 1 : end], end + 1
            else:
                i += 1
            new = _FONTS.get(name, "R")
            emit()
            font, previous = (previous, font) if new == "P" else (new, font)
        elif e == "(":
            buf.append(_CHARS.get(text[i : i + 2], ""))
            i += 2
        elif e == "[":
            end = text.find("]", i)
            end = n if end < 0 else end
            buf.append(_CHARS.get(text[i:end], ""))
            i = end + 1
        elif e == "*":  # strings: \*(lq \*(rq \*R ...
            name = text[i + 1 : i + 3] if text[i : i + 1] == "(" else text[i : i + 1]
            i += 3 if text[i : i + 1] == "(" else 1
            buf.append(_CHARS.get(name, ""))
        elif e in "-":
            buf.append("-")
        elif e in "e\\":
            buf.append("\\")
        elif e in " ~0":
            buf.append(_NBSP)
        elif e in "&|^%c:)":
            pass
        else:
            buf.append(e)
    emit()
    return spans


def _words(spans: list[Span]) -> list[Line]:
    """Split spans at spaces into words (each word a list of spans)."""
    words: list[Line] = []
    current: Line = []
    for font, text in spans:
        for k, piece in enumerate(re.split(r"[ \t]+", text)):
            if k > 0 and current:
                words.append(current)
                current = []
            if piece:
                current.append((font, piece))
    if current:
        words.append(current)
    return words


def _width(line: Line) -> int:
    return sum(len(t) for _f, t in line)


def _args(rest: str) -> list[str]:
    """Macro arguments: blank-separated, ``"..."`` groups, ``""`` is a literal quote."""
    args: list[str] = []
    i, n = 0, len(rest)
    while i < n:
        if rest[i] in " \t":
            i += 1
            continue
        if rest[i] == '"':
            buf = []
            i += 1
            while i < n:
                if rest[i] == '"':
                    if rest[i + 1 : i + 2] == '"':
                        buf.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                buf.append(rest[i])
                i += 1
            args.append("".join(buf))
        else:
            j = i
            while j < n and rest[j] not in " \t":
                j += 1
            args.append(rest[i:j])
            i = j
    return args


@dataclass
class _Layout:
    width: int
    lines: list[Line] = field(default_factory=list)
    base: int = 0
    para: int = 0
    fill: bool = True
    words: list[Line] = field(default_factory=list)
    tag: Line | None = None
    want_tag: bool = False
    stack: list[tuple[int, int]] = field(default_factory=list)
    footer: Line = field(default_factory=list)
    #: True right after a heading: a paragraph break there adds no blank line.
    fresh: bool = False

    def blank(self) -> None:
        if self.lines and self.lines[-1] and not self.fresh:
            self.lines.append([])

    def put(self, indent: int, content: Line) -> None:
        self.lines.append([("R", " " * indent), *content] if indent else list(content))
        self.fresh = False

    def flush(self) -> None:
        """Lay out the pending paragraph (tag + filled words)."""
        indent = self.base + self.para
        avail = max(self.width - indent, 20)
        first: Line = []
        start = indent
        if self.tag is not None:
            tag_w = _width(self.tag)
            if self.para and tag_w < self.para - 1 and self.words:
                first = [*self.tag, ("R", " " * (self.para - tag_w))]
                start = self.base
            else:
                self.put(self.base, self.tag)
            self.tag = None
        line: Line = []
        used = 0
        for word in self.words:
            w = _width(word)
            if line and used + 1 + w > avail:
                self.put(start, first + line)
                first, start, line, used = [], indent, [], 0
            if line:
                line.append(("R", " "))
                used += 1
            line.extend(word)
            used += w
        if line:
            self.put(start, first + line)
        self.words = []

    def text(self, spans: list[Span]) -> None:
        if self.want_tag:
            self.tag, self.want_tag = [(f, t.replace(_NBSP, " ")) for f, t in spans], False
            return
        if not self.fill:
            self.put(self.base + self.para, [(f, t.replace(_NBSP, " ")) for f, t in spans])
            return
        self.words.extend([[(f, t.replace(_NBSP, " ")) for f, t in w] for w in _words(spans)])


def _alternate(args: list[str], fonts: str) -> list[Span]:
    spans: list[Span] = []
    for k, arg in enumerate(args):
        spans.extend(inline(arg, fonts[k % 2]))
    return spans


def render(source: str, width: int = 80) -> list[Line]:
    """Lay ``source`` (man(7) roff) out for a terminal ``width`` columns wide."""
    lay = _Layout(width=max(width, 40))
    pending_font: str | None = None
    for raw in source.splitlines():
        if raw.startswith(('.\\"', "'\\\"")) or raw in (".", "'"):
            continue
        if not raw.startswith((".", "'")):
            if lay.fill and (raw == "" or raw[:1] in " \t"):
                lay.flush()
                if raw == "":
                    lay.blank()
                    continue
            lay.text(inline(raw, pending_font or "R"))
            pending_font = None
            continue
        name, _, rest = raw[1:].strip().partition(" ")
        args = _args(rest)
        if name == "TH":
            args = ["".join(t for _f, t in inline(a)) for a in args]
            title = f"{args[0]}({args[1]})" if len(args) > 1 else (args[0] if args else "")
            manual = args[4] if len(args) > 4 else ""
            gap = max(lay.width - 2 * len(title) - len(manual), 2)
            left = gap // 2
            lay.lines.append([("R", title + " " * left + manual + " " * (gap - left) + title)])
            lay.lines.append([])
            source_ = args[3] if len(args) > 3 else ""
            date = args[2] if len(args) > 2 else ""
            gap = max(lay.width - len(source_) - len(date) - len(title), 2)
            left = gap // 2
            lay.footer = [("R", source_ + " " * left + date + " " * (gap - left) + title)]
        elif name in ("SH", "SS"):
            lay.flush()
            lay.blank()
            lay.base, lay.para, lay.stack, lay.fill = 0, 0, [], True
            lay.put(0 if name == "SH" else SUBHEAD_INDENT, inline(" ".join(args), "B"))
            lay.base, lay.fresh = BODY_INDENT, True
        elif name in ("PP", "LP", "P"):
            lay.flush()
            lay.blank()
            lay.para = 0
        elif name in ("TP", "IP"):
            lay.flush()
            lay.blank()
            pos = 0 if name == "TP" else 1
            lay.para = int(args[pos]) if len(args) > pos and args[pos].isdigit() else BODY_INDENT
            if name == "TP":
                lay.want_tag = True
            elif args and args[0]:
                lay.tag = inline(args[0])
        elif name == "RS":
            lay.flush()
            lay.stack.append((lay.base, lay.para))
            step = int(args[0]) if args and args[0].isdigit() else (lay.para or BODY_INDENT)
            lay.base, lay.para = lay.base + step, 0
        elif name == "RE":
            lay.flush()
            lay.base, lay.para = lay.stack.pop() if lay.stack else (BODY_INDENT, 0)
        elif name in ("nf", "EX"):
            lay.flush()
            lay.fill = False
        elif name in ("fi", "EE"):
            lay.flush()
            lay.fill = True
        elif name == "br":
            lay.flush()
        elif name == "sp":
            lay.flush()
            lay.lines.append([])
        elif name in ("B", "I", "SB", "SM"):
            font = {"B": "B", "I": "I", "SB": "B", "SM": "R"}[name]
            if args:
                lay.text(inline(" ".join(args), font))
            else:
                pending_font = font
        elif len(name) == 2 and set(name) <= set("BIR") and name[0] != name[1]:
            lay.text(_alternate(args, name))
    lay.flush()
    if lay.footer:
        lay.blank()
        lay.lines.append(lay.footer)
    while lay.lines and not lay.lines[-1]:
        lay.lines.pop()
    return lay.lines


def to_plain(lines: list[Line]) -> str:
    """The page as plain text."""
    return "".join("".join(t for _f, t in line).rstrip() + "\n" for line in lines)


def to_ansi(lines: list[Line]) -> str:
    """The page with bold and underline as terminal escape sequences."""
    codes = {"B": "\x1b[1m", "I": "\x1b[4m"}
    out: list[str] = []
    for line in lines:
        parts = []
        for font, text in line:
            parts.append(f"{codes[font]}{text}\x1b[0m" if font in codes and text.strip() else text)
        out.append("".join(parts).rstrip() + "\n")
    return "".join(out)
