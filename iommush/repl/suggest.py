"""What to complete at the cursor: a pure function over the virtual tree.

``suggest(text_before_cursor, ctx)`` looks at the command line the way the shell will
parse it and returns the words that fit where the cursor is: command names in command
position, the current command's options, paths in the virtual tree, PCI addresses,
driver and module names, and the values the redirection target accepts (after
``echo `` with ``> .../iommu_groups/N/type``: ``DMA DMA-FQ identity auto``).

It never imports prompt_toolkit, so it is tested without a terminal; the REPL's
:class:`~iommush.repl.completer.ShellCompleter` only turns suggestions into
prompt_toolkit completions.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .targets import PCI_DEVICES, PCI_DRIVERS, is_dir, safe_listdir, target_values
from .tokens import KEYWORDS, Token, split_commands, tokenize

if TYPE_CHECKING:
    from iommush.shell.command import CommandInfo
    from iommush.vfs import VirtualFS

__all__ = ["ARG_KINDS", "CompletionContext", "Suggestion", "quote_word", "suggest"]

IOMMU_GROUPS = "/sys/kernel/iommu_groups"

#: What the positional arguments of a command are, where it is not a path.
ARG_KINDS: Mapping[str, str] = {
    "cd": "dir",
    "pushd": "dir",
    "rmdir": "dir",
    "help": "command",
    "type": "command",
    "which": "command",
    "command": "command",
    "sudo": "command",
    "man": "manpage",
    "modprobe": "module",
    "rmmod": "module",
    "insmod": "module",
    "modinfo": "module",
    "why": "bdf",
    "plan": "bdf",
    "lspci": "none",
    "unset": "variable",
    "export": "variable",
}
#: Options that take a value of a known kind (``lspci -s BDF``, ``--machine NAME``).
OPTION_VALUE_KINDS: Mapping[str, str] = {
    "-s": "bdf",
    "--machine": "machine",
    "--kernel": "kernel",
    "--group": "group",
    "--driver": "driver",
}
#: Commands whose arguments are written to a file by a redirection or ``tee``.
_VALUE_WRITERS = frozenset({"echo", "printf"})
MAN_PAGES = ("iommush", "iommush-sysfs")
KERNELS = ("6.3", "6.4", "6.12")
_SPECIAL = set(" \t\n\"'\\$`&|;<>()*?[]!#{}")


@dataclass(frozen=True)
class Suggestion:
    """One candidate: ``text`` replaces the last ``replace`` characters before the cursor."""

    text: str
    replace: int
    kind: str  # command, keyword, option, path, dir, bdf, driver, module, group, machine, value...
    display: str = ""
    meta: str = ""

    @property
    def label(self) -> str:
        """What a menu shows for this candidate."""
        return self.display or self.text


@dataclass
class CompletionContext:
    """What completion may look at: the tree, the shell's directory, its commands."""

    fs: VirtualFS
    cwd: str = "/"
    commands: Iterable[CommandInfo] = ()
    machines: Sequence[str] = ()
    variables: Mapping[str, str] = field(default_factory=dict)
    modules: Sequence[str] = ()

    def command(self, name: str) -> CommandInfo | None:
        """The registered command ``name`` (or one of its aliases)."""
        for info in self.commands:
            if info.name == name or name in info.aliases:
                return info
        return None


def quote_word(value: str) -> str:
    """``value`` with the characters the shell would treat specially backslash-escaped."""
    out = "".join("\\" + c if c in _SPECIAL else c for c in value)
    return "\\~" + out[1:] if out.startswith("~") else out


def _current_word(tokens: list[Token], before: str) -> Token | None:
    """The word the cursor is at the end of, or None at a word boundary."""
    if tokens and tokens[-1].kind == "word" and tokens[-1].end == len(before):
        return tokens[-1]
    return None


def _abspath(ctx: CompletionContext, path: str) -> str:
    home = ctx.variables.get("HOME", "/root")
    if path == "~" or path.startswith("~/"):
        path = home + path[1:]
    return posixpath.normpath(posixpath.join(ctx.cwd, path))


def _paths(
    ctx: CompletionContext, prefix: str, replace: int, dirs_only: bool, stem: str = ""
) -> list[Suggestion]:
    """Names in the virtual tree that complete ``prefix``; directories end in ``/``."""
    head, slash, base = prefix.rpartition("/")
    listing = (head or "/") if slash else "."
    if listing == "~" or listing.startswith("~/"):
        listing = _abspath(ctx, listing)
    out: list[Suggestion] = []
    for name in safe_listdir(ctx, listing):
        if not name.startswith(base) or (name.startswith(".") and not base.startswith(".")):
            continue
        directory = is_dir(ctx, posixpath.join(listing, name))
        if dirs_only and not directory:
            continue
        tail = "/" if directory else ""
        word = head + slash + name
        if word.startswith("~/"):  # keep the tilde expandable
            text = stem + "~" + quote_word(word[1:]) + tail
        else:
            text = stem + quote_word(word) + tail
        out.append(Suggestion(text, replace, "dir" if directory else "path", name + tail))
    return out


def _names(
    names: Iterable[str],
    prefix: str,
    replace: int,
    kind: str,
    meta: Mapping[str, str] | None = None,
) -> list[Suggestion]:
    meta = meta or {}
    return [
        Suggestion(quote_word(n), replace, kind, n, meta.get(n, ""))
        for n in sorted(set(names))
        if n.startswith(prefix)
    ]


def _groups(ctx: CompletionContext) -> dict[str, str]:
    names = safe_listdir(ctx, IOMMU_GROUPS)
    out = {g: " ".join(safe_listdir(ctx, f"{IOMMU_GROUPS}/{g}/devices")) for g in names}
    return dict(sorted(out.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else -1))


def _kind_values(ctx: CompletionContext, kind: str) -> tuple[list[str], dict[str, str]]:
    """The candidates of one kind of argument, with a note for each."""
    if kind == "bdf":
        devices = {n: "" for n in safe_listdir(ctx, PCI_DEVICES)}
        for n in devices:
            try:
                drv = posixpath.basename(ctx.fs.readlink(f"{PCI_DEVICES}/{n}/driver", "/"))
                devices[n] = f"bound to {drv}"
            except OSError:
                devices[n] = "no driver"
        return list(devices), devices
    if kind == "driver":
        return safe_listdir(ctx, PCI_DRIVERS), {}
    if kind == "group":
        groups = _groups(ctx)
        return list(groups), groups
    if kind == "machine":
        return list(ctx.machines), {}
    if kind == "kernel":
        return list(KERNELS), {}
    if kind == "module":
        return list(ctx.modules) or safe_listdir(ctx, PCI_DRIVERS), {}
    infos = {i.name: i.summary for i in ctx.commands}
    if kind == "manpage":
        return [*MAN_PAGES, *infos], infos
    if kind == "command":
        return list(infos), infos
    if kind == "variable":
        return list(ctx.variables), {}
    return [], {}


def _redirect_targets(command: list[Token], later: list[list[Token]]) -> list[str]:
    """Files a value-writing command's output goes to: ``> FILE`` in the command itself,
    or ``| tee FILE`` (``| sudo tee -a FILE``) in the next command of the pipeline."""
    targets = [t.value for t in command if t.kind == "word" and t.role == "redirect"]
    if later:
        words = [t for t in later[0] if t.kind == "word"]
        names = [w.value for w in words]
        if names[:1] == ["sudo"]:
            names = names[1:]
        if names[:1] == ["tee"]:
            targets += [n for n in names[1:] if not n.startswith("-")]
    return targets


def _locate(tokens: list[Token], cursor: int) -> tuple[list[Token], list[list[Token]]]:
    """The simple command the cursor is in, and the commands after it."""
    commands = split_commands(tokens)
    for i, command in enumerate(commands):
        if command and command[0].start <= cursor <= command[-1].end:
            return command, commands[i + 1 :]
    return [], []


def suggest(text_before_cursor: str, ctx: CompletionContext, after: str = "") -> list[Suggestion]:
    """The candidates for the word that ends at the cursor.

    ``after`` is the text right of the cursor: a redirection typed after the cursor
    (``echo | > .../type``, cursor at ``|``) still tells which values fit.
    """
    before = text_before_cursor
    cursor = len(before)
    # A probe letter at the cursor makes the tokenizer classify the word being
    # started exactly as it will classify it once typed.
    probe = "" if _current_word(tokenize(before), before) else "\x00"
    tokens = tokenize(before + probe + after)
    word = next(
        (t for t in tokens if t.kind == "word" and t.start < cursor + len(probe) <= t.end), None
    )
    if word is None or word.start >= cursor + len(probe):  # inside an operator or a comment
        return []
    raw = before[word.start :]
    prefix = tokenize(raw)[0].value if raw else ""
    replace = len(raw)
    command, later = _locate(tokens, word.start)
    name = next((t.value for t in command if t.role == "command" and t is not word), "")
    others = [t for t in command if t.kind == "word" and t.end <= word.start]

    # $VAR and ${VAR
    m = re.search(r"\$\{?([A-Za-z_][A-Za-z_0-9]*)?$", raw)
    if m and word.open_quote != "'" and not raw.endswith("\\$"):
        brace = "{" in m.group(0)
        stem = raw[: m.start()] + ("${" if brace else "$")
        return [
            Suggestion(stem + var + ("}" if brace else ""), replace, "variable", var)
            for var in sorted(ctx.variables)
            if var.startswith(m.group(1) or "")
        ]

    if word.role in ("command", "keyword"):
        if "/" in prefix:
            return _paths(ctx, prefix, replace, dirs_only=False)
        meta = {i.name: i.summary for i in ctx.commands}
        names = [n for i in ctx.commands for n in (i.name, *i.aliases)]
        out = _names(names, prefix, replace, "command", meta)
        return out + [s for s in _names(KEYWORDS, prefix, replace, "keyword") if s.text not in meta]
    if word.role == "assignment":
        name_eq = raw[: raw.index("=") + 1]
        return _paths(ctx, prefix.partition("=")[2], replace, dirs_only=False, stem=name_eq)
    if word.role == "redirect":
        return _paths(ctx, prefix, replace, dirs_only=False)
    if word.role not in ("arg", "option"):
        return []

    # the value of an option: lspci -s BDF, --machine NAME, --machine=NAME
    option, eq, value = prefix.partition("=")
    if eq and option in OPTION_VALUE_KINDS:
        kind = OPTION_VALUE_KINDS[option]
        values, meta = _kind_values(ctx, kind)
        return [
            Suggestion(f"{option}={quote_word(v)}", replace, kind, v, meta.get(v, ""))
            for v in sorted(values)
            if v.startswith(value)
        ]
    previous = others[-1].value if others else ""
    if previous in OPTION_VALUE_KINDS and others[-1].role == "option":
        kind = OPTION_VALUE_KINDS[previous]
        values, meta = _kind_values(ctx, kind)
        return _names(values, prefix, replace, kind, meta)

    info = ctx.command(name) if name else None
    if prefix.startswith("-"):
        return _names(info.options, prefix, replace, "option") if info is not None else []

    if name in _VALUE_WRITERS:
        for target in _redirect_targets(command, later):
            values, meta = target_values(ctx, _abspath(ctx, target))
            if values:
                return _names(values, prefix, replace, "value", meta)

    kind = ARG_KINDS.get(name, "path")
    if kind in ("path", "none"):
        return _paths(ctx, prefix, replace, dirs_only=False)
    if kind == "dir":
        return _paths(ctx, prefix, replace, dirs_only=True)
    values, meta = _kind_values(ctx, kind)
    out = _names(values, prefix, replace, kind, meta)
    return out or _paths(ctx, prefix, replace, dirs_only=False)
