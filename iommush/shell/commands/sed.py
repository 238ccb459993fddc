"""``sed``: the GNU sed subset scripts use on sysfs output.

Commands ``s`` (flags ``g``, ``p``, ``N``, ``I``), ``d``, ``p``, ``q``, ``Q``, ``=``,
``y``, ``a``/``i``/``c`` (one-line GNU form), ``n`` and ``{...}``; addresses ``N``,
``$``, ``/RE/``, ranges ``A,B`` and ``!``; options ``-n``, ``-e``, ``-f``, ``-E``/``-r``,
``-i``, ``-s``. Errors use GNU's wording (``sed: -e expression #1, char 5: unknown
command: `x'``, status 1; an unreadable file: ``sed: can't read F: ...``, status 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from iommush.shell.command import CommandContext

from ._base import UsageError, parse_options, strerror, utility
from ._regex import RegexError, compile_posix

__all__ = ["sed"]


class SedError(Exception):
    """A script error: GNU's message after ``sed: -e expression #N, char C: ``."""


@dataclass
class Addr:
    kind: str  # "line", "last", "re"
    line: int = 0
    rx: re.Pattern[str] | None = None


@dataclass
class Cmd:
    name: str
    a1: Addr | None = None
    a2: Addr | None = None
    negate: bool = False
    rx: re.Pattern[str] | None = None
    repl: list[str | int] = field(default_factory=list)
    glob: bool = False
    nth: int = 1
    printit: bool = False
    text: str = ""
    exit_code: int = 0
    table: dict[str, str] = field(default_factory=dict)
    jump: int = 0  # for "{": index of the matching "}"
    in_range: bool = False


class _Parser:
    def __init__(self, script: str, extended: bool) -> None:
        self.s = script
        self.i = 0
        self.ext = extended
        self.cmds: list[Cmd] = []
        self.last_rx: re.Pattern[str] | None = None

    def err(self, msg: str) -> SedError:
        return SedError(f"char {self.i}: {msg}")

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def skip_ws(self) -> None:
        while self.peek() in (" ", "\t"):
            self.i += 1

    def delimited(self, delim: str) -> str:
        out = []
        while True:
            c = self.peek()
            if not c:
                raise SedError("")
            self.i += 1
            if c == "\\":
                d = self.peek()
                self.i += 1
                if d == delim:
                    out.append(delim)
                elif d == "n":
                    out.append("\\n")
                else:
                    out.append("\\" + d)
                continue
            if c == delim:
                return "".join(out)
            if c == "\n" and delim != "\n":
                raise SedError("")
            out.append(c)

    def regex(self, text: str, icase: bool) -> re.Pattern[str]:
        if text == "":
            if self.last_rx is None:
                raise self.err("no previous regular expression")
            return self.last_rx
        try:
            rx = compile_posix(text, extended=self.ext, icase=icase)
        except RegexError as exc:
            raise self.err(str(exc)) from None
        self.last_rx = rx
        return rx

    def address(self) -> Addr | None:
        c = self.peek()
        if c.isdigit():
            j = self.i
            while self.peek().isdigit():
                self.i += 1
            return Addr("line", int(self.s[j : self.i]))
        if c == "$":
            self.i += 1
            return Addr("last")
        if c in ("/", "\\"):
            self.i += 1
            delim = "/"
            if c == "\\":
                delim = self.peek()
                self.i += 1
            try:
                text = self.delimited(delim)
            except SedError:
                raise self.err("unterminated address regex") from None
            icase = False
            if self.peek() == "I":
                icase = True
                self.i += 1
            return Addr("re", rx=self.regex(text, icase))
        return None

    def parse(self) -> list[Cmd]:
        stack: list[int] = []
        while True:
            while self.peek() in (" ", "\t", "\n", ";"):
                self.i += 1
            if not self.peek():
                break
            if self.peek() == "#":
                while self.peek() not in ("", "\n"):
                    self.i += 1
                continue
            cmd = Cmd("")
            cmd.a1 = self.address()
            if cmd.a1 is not None and self.peek() == ",":
                self.i += 1
                cmd.a2 = self.address()
                if cmd.a2 is None:
                    raise self.err("unexpected `,'")
            self.skip_ws()
            while self.peek() == "!":
                cmd.negate = True
                self.i += 1
                self.skip_ws()
            c = self.peek()
            if not c:
                raise self.err("missing command")
            self.i += 1
            cmd.name = c
            if c == "{":
                stack.append(len(self.cmds))
            elif c == "}":
                if not stack:
                    raise self.err("unexpected `}'")
                self.cmds[stack.pop()].jump = len(self.cmds) + 1
            elif c == "s":
                self.parse_s(cmd)
            elif c == "y":
                self.parse_y(cmd)
            elif c in "aic":
                self.skip_ws()
                if self.peek() == "\\":
                    self.i += 1
                    if self.peek() == "\n":
                        self.i += 1
                j = self.i
                while self.peek() not in ("", "\n"):
                    self.i += 1
                cmd.text = self.s[j : self.i]
            elif c in "qQ":
                self.skip_ws()
                j = self.i
                while self.peek().isdigit():
                    self.i += 1
                cmd.exit_code = int(self.s[j : self.i] or 0)
            elif c in "dpPn=lNDhHgGxz":
                pass
            else:
                raise self.err(f"unknown command: `{c}'")
            self.cmds.append(cmd)
            self.skip_ws()
            if self.peek() not in ("", ";", "\n", "}", "#"):
                raise self.err("extra characters after command")
        if stack:
            raise SedError("char 0: unmatched `{'")
        return self.cmds

    def parse_s(self, cmd: Cmd) -> None:
        delim = self.peek()
        if not delim or delim in "\n\\":
            raise self.err("unterminated `s' command")
        self.i += 1
        try:
            pattern = self.delimited(delim)
            repl = self.delimited(delim)
        except SedError:
            raise self.err("unterminated `s' command") from None
        icase = False
        while True:
            c = self.peek()
            if c in ("", ";", "\n", "}", " ", "\t", "#"):
                break
            if c == "g":
                cmd.glob = True
            elif c == "p":
                cmd.printit = True
            elif c in "Ii":
                icase = True
            elif c.isdigit():
                j = self.i
                while self.peek().isdigit():
                    self.i += 1
                cmd.nth = int(self.s[j : self.i])
                if cmd.nth == 0:
                    raise self.err("number option to `s' command may not be zero")
                continue
            else:
                raise self.err("unknown option to `s'")
            self.i += 1
        cmd.rx = self.regex(pattern, icase)
        parts: list[str | int] = []
        k = 0
        buf: list[str] = []
        while k < len(repl):
            c = repl[k]
            if c == "\\" and k + 1 < len(repl):
                d = repl[k + 1]
                k += 2
                if d.isdigit():
                    if buf:
                        parts.append("".join(buf))
                        buf = []
                    parts.append(int(d))
                else:
                    buf.append({"n": "\n", "t": "\t"}.get(d, d))
                continue
            if c == "&":
                if buf:
                    parts.append("".join(buf))
                    buf = []
                parts.append(0)
            else:
                buf.append(c)
            k += 1
        if buf:
            parts.append("".join(buf))
        cmd.repl = parts

    def parse_y(self, cmd: Cmd) -> None:
        delim = self.peek()
        self.i += 1
        try:
            src = self.delimited(delim).replace("\\n", "\n").replace("\\\\", "\\")
            dst = self.delimited(delim).replace("\\n", "\n").replace("\\\\", "\\")
        except SedError:
            raise self.err("unterminated `y' command") from None
        if len(src) != len(dst):
            raise self.err("strings for `y' command are different lengths")
        cmd.table = dict(zip(src, dst, strict=True))


def _substitute(cmd: Cmd, line: str) -> tuple[str, bool]:
    assert cmd.rx is not None
    out = []
    pos = 0
    count = 0
    done = False
    prev_end = -1
    for m in cmd.rx.finditer(line):
        if m.start() == m.end() and m.start() == prev_end:
            continue
        prev_end = m.end()
        count += 1
        if count < cmd.nth:
            continue
        out.append(line[pos : m.start()])
        for part in cmd.repl:
            if isinstance(part, int):
                out.append(m.group(part) or "" if part <= (cmd.rx.groups or 0) else "")
            else:
                out.append(part)
        pos = m.end()
        done = True
        if not cmd.glob:
            break
    if not done:
        return line, False
    out.append(line[pos:])
    return "".join(out), True


class _Run:
    def __init__(self, cmds: list[Cmd], quiet: bool) -> None:
        self.cmds = cmds
        self.quiet = quiet
        self.out: list[str] = []
        self.quit: int | None = None
        self.missing_newline = False

    def emit(self, text: str, newline: bool = True) -> None:
        """Output as GNU sed does: a last line without its newline is printed without
        one, and gets it back if anything follows (``output_missing_newline``)."""
        if self.missing_newline:
            self.out.append("\n")
        self.out.append(text + ("\n" if newline else ""))
        self.missing_newline = not newline

    def matches(self, a: Addr, n: int, line: str, last: bool) -> bool:
        if a.kind == "line":
            return n == a.line
        if a.kind == "last":
            return last
        assert a.rx is not None
        return a.rx.search(line) is not None

    def selected(self, c: Cmd, n: int, line: str, last: bool) -> bool:
        if c.a1 is None:
            hit = True
        elif c.a2 is None:
            hit = self.matches(c.a1, n, line, last)
        elif c.in_range:
            hit = True
            if c.a2.kind == "line":
                if n >= c.a2.line:
                    c.in_range = False
            elif self.matches(c.a2, n, line, last):
                c.in_range = False
        elif self.matches(c.a1, n, line, last):
            hit = True
            if c.a2.kind == "line":
                c.in_range = c.a2.line > n
            else:
                c.in_range = not last
        else:
            hit = False
        return hit != c.negate

    def cycle(self, lines: list[tuple[str, bool]], idx: int) -> int:
        """Run the script on line ``idx``; returns the next line index."""
        line, nl = lines[idx]
        n = idx + 1
        last = idx == len(lines) - 1
        append: list[str] = []
        pc = 0
        deleted = False
        while pc < len(self.cmds):
            c = self.cmds[pc]
            pc += 1
            if c.name == "}":
                continue
            if not self.selected(c, n, line, last):
                if c.name == "{":
                    pc = c.jump
                continue
            name = c.name
            if name == "s":
                line, done = _substitute(c, line)
                if done and c.printit:
                    self.emit(line, nl)
            elif name == "d":
                deleted = True
                break
            elif name == "p":
                self.emit(line, nl)
            elif name == "=":
                self.emit(f"{n}")
            elif name == "y":
                line = "".join(c.table.get(ch, ch) for ch in line)
            elif name == "a":
                append.append(c.text)
            elif name == "i":
                self.emit(c.text)
            elif name == "c":
                if c.a2 is None or not c.in_range:
                    self.emit(c.text)
                deleted = True
                break
            elif name == "q":
                self.quit = c.exit_code
                break
            elif name == "Q":
                self.quit = c.exit_code
                deleted = True
                break
            elif name == "n":
                if not self.quiet:
                    self.emit(line, nl)
                if last:
                    deleted = True
                    self.quit = 0
                    break
                idx += 1
                line, nl = lines[idx]
                n = idx + 1
                last = idx == len(lines) - 1
        if not deleted and not self.quiet:
            self.emit(line, nl)
        for text in append:
            self.emit(text)
        return idx + 1


def _split(data: bytes) -> list[tuple[str, bool]]:
    text = data.decode("utf-8", "surrogateescape")
    parts = text.split("\n")
    out = [(p, True) for p in parts[:-1]]
    if parts[-1]:
        out.append((parts[-1], False))
    return out


@utility(
    "sed",
    "sed [-nEr] [-e SCRIPT]... [-i] [SCRIPT] [FILE]...",
    "stream editor",
    options=("-n", "-e", "-E", "-r", "-i", "-f"),
)
def sed(ctx: CommandContext) -> int:
    """Edit each line of the input with SCRIPT and print the result."""
    long = {
        "quiet": "n",
        "silent": "n",
        "expression=": "e",
        "file=": "f",
        "regexp-extended": "E",
        "in-place?": "i",
        "separate": "s",
        "null-data": "z",
    }
    opts = parse_options(ctx.argv[1:], "ne:f:Eri::sz", long)
    ext = opts.has("E") or opts.has("r")
    scripts: list[str] = []
    for kind, value in opts.order:
        if kind == "e":
            scripts.append(value)
        elif kind == "f":
            try:
                with ctx.fs.open(value, cwd=ctx.cwd) as of:
                    scripts.append(of.read().decode("utf-8", "surrogateescape").rstrip("\n"))
            except OSError as exc:
                ctx.error(f"couldn't open file {value}: {strerror(exc.errno)}")
                return 1
    files = list(opts.operands)
    if not scripts:
        if not files:
            ctx.err("Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...\n")
            raise UsageError("", 1, hint=False)
        scripts.append(files.pop(0))
    cmds: list[Cmd] = []
    parser = _Parser("", ext)
    for number, text in enumerate(scripts, 1):
        parser.s, parser.i = text, 0
        try:
            parser.parse()
        except SedError as exc:
            ctx.error(f"-e expression #{number}, {exc}")
            return 1
    cmds = parser.cmds
    status = 0
    in_place = opts.has("i")
    if in_place:
        if not files:
            ctx.error("no input files")
            return 1
        for name in files:
            try:
                data = ctx.fs.read_bytes(name, ctx.cwd)
            except OSError as exc:
                ctx.error(f"couldn't edit {name}: {strerror(exc.errno)}")
                status = 4
                continue
            run = _Run(cmds, opts.has("n"))
            lines = _split(data)
            i = 0
            while i < len(lines) and run.quit is None:
                i = run.cycle(lines, i)
            ctx.fs.write_bytes(name, "".join(run.out).encode("utf-8", "surrogateescape"), ctx.cwd)
        return status
    data = b""
    for name in files or ["-"]:
        try:
            if name == "-":
                chunk = ctx.stdin.read()
            else:
                with ctx.fs.open(name, cwd=ctx.cwd) as of:
                    chunk = of.read()
        except OSError as exc:
            ctx.error(f"can't read {name}: {strerror(exc.errno)}")
            status = 2
            continue
        if data and not data.endswith(b"\n"):
            data += b"\n"
        data += chunk
    run = _Run(cmds, opts.has("n"))
    lines = _split(data)
    i = 0
    while i < len(lines) and run.quit is None:
        i = run.cycle(lines, i)
    ctx.out("".join(run.out))
    if run.quit is not None and run.quit:
        return run.quit
    return status
