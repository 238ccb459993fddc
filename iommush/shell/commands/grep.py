"""``grep``: GNU grep 3.x over the virtual tree (BRE by default, ``-E``, ``-F``).

Statuses as GNU: 0 a line was selected, 1 none, 2 an error (``-q`` with a match: 0).
A file holding NUL bytes is binary: a match prints ``grep: FILE: binary file matches``
on stderr instead of the line.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from iommush.shell.command import CommandContext
from iommush.vfs import Dir, Link

from ._base import UsageError, parse_options, strerror, utility
from ._fsutil import readdir
from ._regex import RegexError, compile_posix

__all__ = ["grep"]

_LONG = {
    "extended-regexp": "E",
    "fixed-strings": "F",
    "basic-regexp": "G",
    "invert-match": "v",
    "ignore-case": "i",
    "files-with-matches": "l",
    "files-without-match": "L",
    "count": "c",
    "quiet": "q",
    "silent": "q",
    "only-matching": "o",
    "line-number": "n",
    "no-filename": "h",
    "with-filename": "H",
    "recursive": "r",
    "dereference-recursive": "R",
    "word-regexp": "w",
    "line-regexp": "x",
    "regexp=": "e",
    "file=": "f",
    "no-messages": "s",
    "max-count=": "m",
    "null": "Z",
    "label=": "label",
    "help": "help",
    "color?": "color",
    "colour?": "color",
    "include=": "include",
    "exclude=": "exclude",
}


class _Matcher:
    def __init__(self, patterns: list[str], flags: dict[str, bool]) -> None:
        self.flags = flags
        regexes = []
        for p in patterns:
            if flags["F"]:
                body = re.escape(p)
            else:
                body = compile_posix(p, extended=flags["E"], icase=False).pattern
            if flags["w"]:
                body = rf"(?<!\w)(?:{body})(?!\w)"
            regexes.append(body)
        joined = "|".join(f"(?:{r})" for r in regexes) if regexes else "(?!)"
        if flags["x"]:
            joined = f"^(?:{joined})$"
        try:
            self.rx = re.compile(joined, re.IGNORECASE if flags["i"] else 0)
        except re.error as exc:
            raise RegexError(str(exc)) from None

    def matches(self, line: str) -> bool:
        return self.rx.search(line) is not None

    def spans(self, line: str) -> Iterator[str]:
        for m in self.rx.finditer(line):
            if m.end() > m.start():
                yield m.group(0)


class _Grep:
    def __init__(
        self,
        ctx: CommandContext,
        matcher: _Matcher,
        flags: dict[str, bool],
        max_count: int | None,
        with_name: bool,
    ) -> None:
        self.ctx = ctx
        self.m = matcher
        self.f = flags
        self.max_count = max_count
        self.with_name = with_name
        self.selected = False
        self.error = False

    def scan(self, label: str, data: bytes) -> bool:
        """Search one file's bytes; True if the grep may stop (``-q`` matched)."""
        f = self.f
        text = data.decode("utf-8", "surrogateescape")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        binary = b"\0" in data
        sep = "\0" if f["Z"] else ":"
        prefix = label + sep if self.with_name else ""
        count = 0
        out: list[str] = []
        for number, line in enumerate(lines, 1):
            hit = self.m.matches(line) != f["v"]
            if not hit:
                continue
            count += 1
            self.selected = True
            if f["q"]:
                return True
            if not (f["l"] or f["L"] or f["c"] or binary):
                lead = prefix + (f"{number}:" if f["n"] else "")
                if f["o"]:
                    if not f["v"]:
                        out.extend(lead + s + "\n" for s in self.m.spans(line))
                else:
                    out.append(lead + line + "\n")
            if self.max_count is not None and count >= self.max_count:
                break
        if f["c"]:
            out.append(f"{prefix}{count}\n")
        if f["l"] and count:
            out.append(label + ("\0" if f["Z"] else "\n"))
        if f["L"] and not count:
            out.append(label + ("\0" if f["Z"] else "\n"))
        if out:
            self.ctx.out("".join(out))
        if binary and count and not (f["l"] or f["L"] or f["c"]):
            self.ctx.stdout.flush()
            self.ctx.error(f"{label}: binary file matches")
        return False

    def fail(self, name: str, errno_: int | None) -> None:
        self.error = True
        if not self.f["s"]:
            self.ctx.error(f"{name}: {strerror(errno_)}")

    def file(self, name: str, top: bool) -> bool:
        fs = self.ctx.fs
        recursive = self.f["r"] or self.f["R"]
        try:
            node = fs.resolve(name, self.ctx.cwd, follow=top or self.f["R"])
        except OSError as exc:
            if top or not self.f["s"]:
                self.fail(name, exc.errno)
            return False
        if isinstance(node, Link):
            return False  # -r does not follow links found while walking
        if isinstance(node, Dir):
            if not recursive:
                self.fail(name, 21)
                return False
            for child in readdir(node):
                path = child if (name == "." and top) else posixpath.join(name, child)
                if self.file(path, False):
                    return True
            return False
        try:
            with fs.open(name, cwd=self.ctx.cwd) as of:
                data = of.read()
        except OSError as exc:
            self.fail(name, exc.errno)
            return False
        return self.scan(name, data)


@utility(
    "grep",
    "grep [-EFivlLcqonhHrwxs] [-e PATTERN]... [PATTERN] [FILE]...",
    "print lines that match patterns",
    options=tuple("-" + c for c in "EFivlLcqonhHrRwxse"),
)
def grep(ctx: CommandContext) -> int:
    """Print the lines of each FILE (standard input by default) that match a pattern."""
    opts = parse_options(ctx.argv[1:], "EFGvilLcqonhHrRwxe:f:sm:ZPyaI", _LONG, status=2)
    if opts.has("help"):
        ctx.out("Usage: grep [OPTION]... PATTERNS [FILE]...\n")
        return 0
    flags = {c: opts.has(c) for c in "EFvilLcqonhHrRwxsZ"}
    flags["i"] = flags["i"] or opts.has("y")
    mode = next((k for k, _ in reversed(opts.order) if k in "EFG"), "G")
    flags["E"], flags["F"] = mode == "E", mode == "F"
    patterns: list[str] = []
    for kind, value in opts.order:
        if kind == "e":
            patterns.extend(value.split("\n"))
        elif kind == "f":
            try:
                with ctx.fs.open(value, cwd=ctx.cwd) as of:
                    text = of.read().decode("utf-8", "surrogateescape")
            except OSError as exc:
                ctx.error(f"{value}: {strerror(exc.errno)}")
                return 2
            patterns.extend(text.splitlines())
    files = list(opts.operands)
    if not opts.has("e") and not opts.has("f"):
        if not files:
            ctx.err("Usage: grep [OPTION]... PATTERNS [FILE]...\n")
            raise UsageError("", 2)
        patterns = files.pop(0).split("\n")
    max_count = None
    if opts.has("m"):
        try:
            max_count = int(opts.last("m") or "")
        except ValueError:
            raise UsageError("invalid max count", 2, hint=False) from None
    try:
        matcher = _Matcher(patterns, flags)
    except RegexError as exc:
        ctx.error(str(exc))
        return 2
    recursive = flags["r"] or flags["R"]
    if not files:
        files = ["."] if recursive else ["-"]
    with_name = (len(files) > 1 or recursive) and not flags["h"]
    if flags["H"]:
        with_name = True
    g = _Grep(ctx, matcher, flags, max_count, with_name)
    label = opts.last("label") or "(standard input)"
    for name in files:
        if name == "-":
            if g.scan(label, ctx.stdin.read()):
                break
            continue
        if g.file(name, True):
            break
    if flags["q"] and g.selected:
        return 0
    if g.error:
        return 2
    return 0 if g.selected else 1
