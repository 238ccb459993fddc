"""A forgiving shell tokenizer for completion and highlighting.

The real parser (:mod:`iommush.shell`) must reject bad input; this one must never
fail. It splits a possibly unfinished command line into words and operators, keeps
each word's raw span and its unquoted value, remembers an unterminated quote, and
gives every word a role (command, keyword, option, argument, redirection target...)
the way the POSIX grammar would place it (``simple_command``, ``io_redirect``,
``for_clause``, ``case_clause``).

>>> [(t.role, t.value) for t in tokenize("ls -l /sys >/tmp/x") if t.kind == "word"]
[('command', 'ls'), ('option', '-l'), ('arg', '/sys'), ('redirect', '/tmp/x')]
>>> tokenize("echo 'a b")[-1].open_quote
"'"
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "KEYWORDS",
    "Part",
    "SEPARATORS",
    "Token",
    "split_commands",
    "tokenize",
]

#: Reserved words (POSIX 2.4) and ``[[``-less bash extras the shell knows.
KEYWORDS = frozenset(
    "if then else elif fi do done case esac while until for in function { } ! time".split()
)
#: Operators after which a new command starts.
SEPARATORS = frozenset({";", "&", "&&", "||", "|", "|&", "(", ")", "\n", ";;", ";&", ";;&"})
_COMMAND_AFTER_KEYWORD = frozenset(
    {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"}
)
_REDIRECTS = frozenset({">", ">>", "<", ">|", "<>", ">&", "<&", "&>", "&>>", "<<", "<<-", "<<<"})
_OPERATORS = sorted(SEPARATORS | _REDIRECTS | {"\n"}, key=len, reverse=True)  # longest match first
_META = set(" \t\n;&|()<>")


@dataclass(frozen=True)
class Part:
    """A span inside a word: ``text``, ``squote``, ``dquote``, ``escape``, ``var``, ``subst``."""

    kind: str
    start: int
    end: int


@dataclass
class Token:
    """A word, an operator or a comment, with its position in the source."""

    kind: str  # "word", "op", "comment"
    text: str  # the raw source text
    start: int
    end: int
    value: str = ""  # a word with its quotes removed (expansions kept literally)
    open_quote: str | None = None  # "'", '"' or "\\" if the word ends inside a quote
    parts: list[Part] = field(default_factory=list)
    role: str = ""  # see classify()


def _scan_subst(src: str, i: int, close: str) -> int:
    """Index after the ``close`` that matches the opener just before ``i`` (nesting-aware)."""
    depth = 1
    opener = "(" if close == ")" else "{"
    n = len(src)
    while i < n:
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            j = src.find("'", i + 1)
            i = n if j < 0 else j + 1
            continue
        if c == opener:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def _scan_word(src: str, i: int) -> Token:
    n = len(src)
    start = i
    value: list[str] = []
    parts: list[Part] = []
    open_quote: str | None = None
    while i < n and src[i] not in _META:
        c = src[i]
        if c == "\\":
            if i + 1 >= n:
                open_quote = "\\"
                parts.append(Part("escape", i, n))
                i = n
                break
            value.append(src[i + 1] if src[i + 1] != "\n" else "")
            parts.append(Part("escape", i, i + 2))
            i += 2
        elif c == "'":
            j = src.find("'", i + 1)
            if j < 0:
                value.append(src[i + 1 :])
                parts.append(Part("squote", i, n))
                open_quote, i = "'", n
            else:
                value.append(src[i + 1 : j])
                parts.append(Part("squote", i, j + 1))
                i = j + 1
        elif c == '"':
            j = i + 1
            buf: list[str] = []
            while j < n and src[j] != '"':
                if src[j] == "\\" and j + 1 < n and src[j + 1] in '$`"\\\n':
                    buf.append(src[j + 1])
                    j += 2
                elif src[j] == "$" and src[j + 1 : j + 2] == "(":
                    k = _scan_subst(src, j + 2, ")")
                    buf.append(src[j:k])
                    j = k
                else:
                    buf.append(src[j])
                    j += 1
            value.append("".join(buf))
            if j >= n:
                open_quote = '"'
                parts.append(Part("dquote", i, n))
                i = n
            else:
                parts.append(Part("dquote", i, j + 1))
                i = j + 1
        elif c == "$" and i + 1 < n and src[i + 1] in "({":
            k = _scan_subst(src, i + 2, ")" if src[i + 1] == "(" else "}")
            value.append(src[i:k])
            parts.append(Part("subst" if src[i + 1] == "(" else "var", i, k))
            i = k
        elif c == "$":
            j = i + 1
            if j < n and (src[j].isdigit() or src[j] in "?#@*$!-"):
                j += 1
            else:
                while j < n and (src[j].isalnum() or src[j] == "_"):
                    j += 1
            value.append(src[i:j])
            parts.append(Part("var", i, j))
            i = j
        elif c == "`":
            j = src.find("`", i + 1)
            k = n if j < 0 else j + 1
            value.append(src[i:k])
            parts.append(Part("subst", i, k))
            i = k
        else:
            j = i
            while j < n and src[j] not in _META and src[j] not in "\\'\"$`":
                j += 1
            value.append(src[i:j])
            parts.append(Part("text", i, j))
            i = j
    return Token("word", src[start:i], start, i, "".join(value), open_quote, parts)


def _lex(src: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c in " \t":
            i += 1
            continue
        if c == "\\" and src[i + 1 : i + 2] == "\n":  # line continuation
            i += 2
            continue
        if c == "#" and (i == 0 or src[i - 1] in _META):
            j = src.find("\n", i)
            j = n if j < 0 else j
            tokens.append(Token("comment", src[i:j], i, j))
            i = j
            continue
        # an IO number: digits right before a redirection operator ("2>", "2>&1")
        j = i
        while j < n and src[j].isdigit():
            j += 1
        if j > i and j < n and src[j] in "<>":
            io_op = next(o for o in _OPERATORS if src.startswith(o, j))
            tokens.append(Token("op", src[i : j + len(io_op)], i, j + len(io_op), io_op))
            i = j + len(io_op)
            continue
        op = next((o for o in _OPERATORS if src.startswith(o, i)), None)
        if op is not None:
            tokens.append(Token("op", op, i, i + len(op), op))
            i += len(op)
            continue
        tokens.append(_scan_word(src, i))
        i = tokens[-1].end
    return tokens


def _is_assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and name.isidentifier()


def _classify(tokens: list[Token]) -> None:
    """Give each word its role: ``command``, ``keyword``, ``assignment``, ``option``,
    ``arg``, ``redirect`` (target of ``>``, ``<``...), ``name`` (a ``for`` variable),
    ``pattern`` (a ``case`` pattern)."""
    command_pos = True
    state = ""  # "", "for-name", "for-in", "case-word", "case-in", "case-pattern"
    redirect_next = False
    for tok in tokens:
        if tok.kind == "comment":
            continue
        if tok.kind == "op":
            value = tok.value
            if value in _REDIRECTS:
                redirect_next = True
                continue
            if state == "case-pattern" and value == ")":
                state, command_pos = "", True
                continue
            if state == "case-pattern" and value == "|":
                continue
            if value in (";;", ";&", ";;&"):
                state, command_pos = "case-pattern", False
                continue
            if value in SEPARATORS:
                command_pos = True
                if state in ("for-name", "for-in") and value in (";", "\n"):
                    state = ""
            continue
        word = tok.value
        if redirect_next:
            tok.role, redirect_next = "redirect", False
            continue
        if state == "for-name":
            tok.role, state = "name", "for-in"
            continue
        if state == "for-in":
            if word in ("in", "do"):
                tok.role = "keyword"
                if word == "do":
                    state, command_pos = "", True
                continue
            tok.role = "arg"
            continue
        if state == "case-word":
            tok.role, state = "arg", "case-in"
            continue
        if state == "case-in":
            tok.role = "keyword" if word == "in" else "arg"
            state = "case-pattern"
            continue
        if state == "case-pattern":
            if word == "esac":
                tok.role, state, command_pos = "keyword", "", False
            else:
                tok.role = "pattern"
            continue
        if command_pos:
            if word in KEYWORDS and tok.text == word:
                tok.role = "keyword"
                if word == "for":
                    state = "for-name"
                elif word == "case":
                    state = "case-word"
                command_pos = word in _COMMAND_AFTER_KEYWORD
                continue
            if _is_assignment(tok.text):
                tok.role = "assignment"
                continue
            tok.role, command_pos = "command", False
            continue
        tok.role = "option" if word.startswith("-") and len(word) > 1 else "arg"


def tokenize(src: str) -> list[Token]:
    """Split ``src`` into classified tokens; never raises."""
    tokens = _lex(src)
    _classify(tokens)
    return tokens


def split_commands(tokens: list[Token]) -> list[list[Token]]:
    """Group tokens into simple commands (split at ``;``, ``|``, ``&&``, newlines...);
    the separators themselves are dropped, redirection operators kept."""
    commands: list[list[Token]] = [[]]
    for tok in tokens:
        if tok.kind == "op" and tok.value in SEPARATORS:
            commands.append([])
        elif tok.kind != "comment":
            commands[-1].append(tok)
    return commands
