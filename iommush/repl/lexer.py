"""Syntax highlighting of the command line, from the completion tokenizer.

Every character gets a style class (``class:command``, ``class:keyword``,
``class:string``...); the colours come from the ``[colors]`` table of the
configuration. A command name the shell does not know is marked
``class:command.unknown`` while it is typed, so a typo shows before Enter.
"""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.lexers import Lexer

from .tokens import tokenize

__all__ = ["ShellLexer", "style_spans"]

_ROLE_STYLE = {
    "keyword": "class:keyword",
    "option": "class:option",
    "redirect": "class:redirect",
    "assignment": "class:variable",
    "name": "class:variable",
}
_PART_STYLE = {
    "squote": "class:string",
    "dquote": "class:string",
    "escape": "class:string",
    "var": "class:variable",
    "subst": "class:substitution",
}


def style_spans(text: str, is_command: Callable[[str], bool]) -> list[str]:
    """The style class of every character of ``text``."""
    styles = [""] * len(text)
    for tok in tokenize(text):
        if tok.kind == "comment":
            base = "class:comment"
        elif tok.kind == "op":
            base = "class:operator"
        elif tok.role == "command":
            known = is_command(tok.value) or "/" in tok.value or tok.open_quote is not None
            base = "class:command" if known else "class:command.unknown"
        else:
            base = _ROLE_STYLE.get(tok.role, "")
        for i in range(tok.start, tok.end):
            styles[i] = base
        for part in tok.parts:
            extra = _PART_STYLE.get(part.kind)
            if extra:
                for i in range(part.start, min(part.end, len(text))):
                    styles[i] = f"{base} {extra}".strip()
    return styles


class ShellLexer(Lexer):
    """A prompt_toolkit lexer over :func:`iommush.repl.tokens.tokenize`."""

    def __init__(self, is_command: Callable[[str], bool]) -> None:
        self.is_command = is_command

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        text = document.text
        styles = style_spans(text, self.is_command)
        lines: list[StyleAndTextTuples] = [[]]
        for ch, style in zip(text, styles, strict=True):
            if ch == "\n":
                lines.append([])
                continue
            line = lines[-1]
            if line and line[-1][0] == style:
                line[-1] = (style, line[-1][1] + ch)
            else:
                line.append((style, ch))

        def get_line(lineno: int) -> StyleAndTextTuples:
            return lines[lineno] if 0 <= lineno < len(lines) else []

        return get_line
