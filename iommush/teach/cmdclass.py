"""Which command lines change the machine: the session log keeps those (and the ones
that change the shell's own state, such as ``cd``) so that the machine can be rebuilt
by replaying them onto a freshly booted one.

The classification is conservative: a command it does not know changes the machine.
"""

from __future__ import annotations

import re
import shlex

__all__ = ["LineKind", "classify_line"]

#: "read": nothing changes; "shell": only the shell's state (directory, variables);
#: "machine": the machine may change; "session": manipulates the log itself.
LineKind = str

READ_ONLY = frozenset(
    """
    ls cat head tail grep egrep fgrep find readlink realpath stat wc sort uniq cut tr od
    hexdump lspci lsmod uname echo printf pwd true false test [ basename dirname seq date
    env printenv id whoami hostname groups help man explain why tree type history sed
    race lockdep awk
    :
    """.split()
)
SHELL_ONLY = frozenset(
    """
    cd pushd popd dirs export alias unalias set unset shopt umask readonly declare typeset
    local hash getopts shift
    """.split()
)
SESSION = frozenset(("reset", "undo", "save", "load", "lesson"))
#: Words after which the next word is again a command name.
_TRANSPARENT = frozenset(
    ("if", "then", "else", "elif", "do", "while", "until", "!", "{", "(", "time")
)
_CLOSERS = frozenset(("fi", "done", "esac", "}", ")"))
_SEPARATORS = frozenset((";", "&", "|", "&&", "||", "\n", ";;", "(", ")"))
_REDIRECTS = frozenset((">", ">>", ">|", "&>", "&>>", "<>"))
_FUNCDEF = re.compile(r"^\s*(function\s+)?[A-Za-z_][\w-]*\s*\(\s*\)\s*[{(]")
_HARMLESS_TARGETS = frozenset(("/dev/null", "/dev/stdout", "/dev/stderr"))


def _command_kind(words: list[str]) -> LineKind:
    name = words[0].rsplit("/", 1)[-1]
    args = words[1:]
    if name in SESSION:
        return "session"
    if name in SHELL_ONLY:
        return "shell"
    if name == "dmesg":
        clears = any(a in ("-c", "-C", "--clear", "--read-clear") for a in args)
        return "machine" if clears else "read"
    if name == "sed":
        return "machine" if any(a.startswith("-i") or a == "--in-place" for a in args) else "read"
    if name == "plan":
        return "machine" if "--apply" in args else "read"
    if name == "vfio":
        return "read" if args[:1] in ([], ["status"]) else "machine"
    if name == "hostname" and args:
        return "machine"
    if name in READ_ONLY:
        return "read"
    return "machine"


_ORDER = {"read": 0, "shell": 1, "machine": 2, "session": 3}


def classify_line(source: str) -> LineKind:
    """The strongest effect any command of ``source`` may have."""
    if _FUNCDEF.match(source):
        return "shell"
    lexer = shlex.shlex(source, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        tokens = list(lexer)
    except ValueError:  # an unbalanced quote: the shell reported it; assume the worst
        return "machine"
    kind = "read"
    words: list[str] = []
    skip_to_separator = False
    expect_target = False

    def flush() -> None:
        nonlocal kind, words
        while words and "=" in words[0] and words[0].split("=", 1)[0].isidentifier():
            words = words[1:]
            kind = max(kind, "shell", key=_ORDER.__getitem__)
        if words:
            kind = max(kind, _command_kind(words), key=_ORDER.__getitem__)
        words = []

    for tok in tokens:
        if expect_target:
            expect_target = False
            if tok not in _HARMLESS_TARGETS and not tok.isdigit() and tok != "-":
                kind = max(kind, "machine", key=_ORDER.__getitem__)
            continue
        if tok in _REDIRECTS:
            expect_target = True
            continue
        if tok in (">&", "<&", "<", "<<", "<<<", "<<-"):
            expect_target = tok in (">&",)  # `>&FILE` writes FILE; `>&2` is a dup
            continue
        if tok in _SEPARATORS:
            flush()
            skip_to_separator = False
            continue
        if skip_to_separator:
            continue
        if not words and tok in _TRANSPARENT | _CLOSERS:
            continue
        if not words and tok in ("for", "case", "select", "function"):
            skip_to_separator = True
            continue
        words.append(tok)
    flush()
    return kind
